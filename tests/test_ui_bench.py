"""The bench from the command palette, against the loopback (no key, no cost)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static

from rtchat.ui.screens.bench_screen import BenchScreen
from rtchat.ui.screens.confirm import ConfirmDialog
from tests.support.ui import make_app, palette_offers, ready, wait_for

SIZE = (120, 44)


pytestmark = pytest.mark.usefixtures("isolated")


async def test_bench_from_the_palette_shows_table_and_chart():
    app = make_app(model="loopback/echo@0", bench_runs=1)  # instant answers: the screen is the point, not the pace
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p", *"Benchmark protocols")
        await wait_for(pilot, lambda: palette_offers(app, "Benchmark protocols for this model"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BenchScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.result is not None, timeout=60)
        table = str(screen.query_one("#bench-table", Static).render())
        chart = str(screen.query_one("#bench-chart", Static).render())
        assert "time to first token" in table and "sse" in table and "websocket" in table
        assert "time to first token (ms)" in chart and "┃" in chart
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BenchScreen))


async def test_a_paid_provider_is_asked_first(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    app = make_app(model="openai/gpt-4.1")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.action_run_bench()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "spends tokens on openai" in app.screen.question and "output tokens" in app.screen.question
        assert re.search(r"at most ~\$\d+\.\d+", app.screen.question)  # dollars from the same price table as the status line
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await pilot.pause()  # a yield: a bench screen pushed on the answer would be up now
        assert not isinstance(app.screen, BenchScreen)

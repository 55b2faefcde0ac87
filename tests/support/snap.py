"""Freezing what varies between runs (timings, dates) so snapshot tests compare layout, not luck."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rtchat.events import Error, Usage
from tests.support.ui import ready, wait_for

FIXED_NOW = 1_000.0
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def freeze(app, monkeypatch) -> None:
    """Fixed figures on the status line, thinking clocks and list dates, however fast the machine is."""
    from rtchat.ui.screens import conversation_list
    from rtchat.ui.widgets.transcript.thinking import ThinkingPanel

    monkeypatch.setattr(conversation_list, "when", lambda timestamp: "2026-01-02 03:04")

    def fixed_clock(clock) -> None:
        first = clock.ttft_ms is not None
        app.status.show(
            connect_ms=None if clock.connect_ms is None else 12.0, ttft_ms=34.0 if first else None,
            tokens_per_s=56.0 if first else None, usage=clock.usage or Usage(),
        )

    show_error = app.transcript.show_error

    async def fixed_port(error: Error) -> None:
        """The loopback listens on a free port; its number is the one thing in an error that varies."""
        await show_error(replace(error, message=re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", error.message)))

    app.status.show_clock = fixed_clock
    app.transcript.show_error = fixed_port
    app.prompt.cursor_blink = False  # a blinking cursor is caught in either phase
    app.turns.now = lambda: FIXED_NOW
    for panel in app.query(ThinkingPanel):
        panel.started = 0.0
        panel.seconds = 1.5 if panel.seconds is not None else None


def settle_figures(app) -> None:
    """Thinking panels already on screen show the fixed duration; the status line its fixed figures."""
    from rtchat.ui.widgets.transcript.thinking import ThinkingPanel

    for panel in app.query(ThinkingPanel):
        if panel.state != "thinking":
            panel.seconds = 1.5
        panel.refresh_title()
    if app.status.facts.ttft_ms is not None:
        app.status.show(connect_ms=12.0, ttft_ms=34.0, tokens_per_s=56.0)
    if app.status.facts.connect_ms is not None:
        app.status.show(connect_ms=12.0)


def steady_cursors(app) -> None:
    """Every input's cursor on the screen stops blinking and shows: a blink is caught in either
    phase, and on a loaded machine a screen opened by the steps (the conversation list's filter,
    the search box) was caught with its cursor off."""
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False


def run_before(monkeypatch, steps, *, from_idle: bool = False, without_toasts: bool = False):
    """A run_before for snap_compare: freeze, wait for the model (`from_idle`: and for the idle
    status), the given steps, then settle the figures; `without_toasts` drops notifications,
    which time out and so are not part of the picture."""
    async def before(pilot):
        freeze(pilot.app, monkeypatch)
        await ready(pilot)
        if from_idle:
            await wait_for(pilot, lambda: pilot.app.status.facts.state == "idle")
        await steps(pilot)
        if without_toasts:
            pilot.app.clear_notifications()
        settle_figures(pilot.app)
        steady_cursors(pilot.app)
        await pilot.pause()  # a yield: what the steps set off is laid out

    return before

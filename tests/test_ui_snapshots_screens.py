"""The main screens at 80x24 and 120x40, driven by key presses against the real loopback.

Timings and dates are frozen (tests/support/snap.py); models with fixed output
(echo, fault-stall: five tokens then silence, fault-401) keep the text the same.
"""

from __future__ import annotations

import pytest

from tests.support.snap import SIZES, run_before
from tests.support.ui import command, idle, make_app, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def stalled(app) -> bool:
    """fault-stall has sent its five answer tokens ("Echo (turn 1)\n\nYou said:") and gone silent."""
    runner = app.turns.runner
    return runner is not None and runner.turn.answer().text.rstrip().endswith("You said:")


async def type_and_send(pilot, text: str) -> None:
    await command(pilot, text)


@pytest.mark.parametrize("size", SIZES)
def test_welcome(snap_compare, monkeypatch, size):
    async def steps(pilot):
        await wait_for(pilot, lambda: pilot.app.status.facts.state == "idle")

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_streaming(snap_compare, monkeypatch, size):
    async def steps(pilot):
        app = pilot.app
        await type_and_send(pilot, "tell me")
        await wait_for(pilot, lambda: stalled(app) and app.status.facts.state == "streaming")
        app.turns.show_figures()
        await wait_for(pilot, lambda: app.turns.runner.view.body._rendered_upto == len(app.turns.runner.view.body.source))

    assert snap_compare(make_app(model="loopback/fault-stall"), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_thinking_open(snap_compare, monkeypatch, size):
    async def steps(pilot):
        app = pilot.app
        await type_and_send(pilot, "think about it")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        await pilot.press("escape", "t")  # the latest message takes focus; t opens its thinking

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_interrupted(snap_compare, monkeypatch, size):
    async def steps(pilot):
        app = pilot.app
        await type_and_send(pilot, "tell me")
        await wait_for(pilot, lambda: stalled(app))
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app) and app.status.facts.state == "interrupted")

    assert snap_compare(make_app(model="loopback/fault-stall"), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_error(snap_compare, monkeypatch, size):
    async def steps(pilot):
        app = pilot.app
        await type_and_send(pilot, "hello")
        await wait_for(pilot, lambda: idle(app) and app.status.facts.state == "error")

    assert snap_compare(make_app(model="loopback/fault-401"), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_model_picker_typed_filter(snap_compare, monkeypatch, size):
    async def steps(pilot):
        await pilot.press("ctrl+o", *"fault-5")

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_protocol_picker_disabled_rows(snap_compare, monkeypatch, size):
    async def steps(pilot):
        await pilot.press("f4")

    assert snap_compare(make_app(model="loopback/redacted"), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, monkeypatch, size):
    async def steps(pilot):
        await pilot.press("f1")

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_conversation_list(snap_compare, monkeypatch, size):
    async def steps(pilot):
        app = pilot.app
        await type_and_send(pilot, "a first question about the sea")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        await pilot.press("ctrl+l")
        # The list is read on a thread: wait for its row, and for no read still running.
        await wait_for(pilot, lambda: app.screen.query("#conversations") and app.screen.query_one("#conversations").option_count == 1)
        await wait_for(pilot, lambda: not any(w.group == "list" and w.is_running for w in app.workers))

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before(monkeypatch, steps))


@pytest.mark.parametrize("size", SIZES)
def test_search_without_matches(snap_compare, monkeypatch, size):
    async def steps(pilot):
        from textual.widgets import Static

        app = pilot.app
        await type_and_send(pilot, "hello")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        await pilot.press("ctrl+f", *"zebra")
        await wait_for(pilot, lambda: "no message matches" in str(app.screen.query_one("#search-status", Static).render()))

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before(monkeypatch, steps))

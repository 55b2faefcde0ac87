"""A tool card at 80x24 and 120x40: asking the user, and finished with its folded result; and
the /tools screen, with rtchat's demo server ready and a configured server that failed to start.

Driven by key presses against the loopback's `loopback/tools` model and rtchat's demo MCP
server (its `calculate` tool: the same arguments and result every run); the tool's time,
the only figure that varies, is fixed as the turn's timings are elsewhere. The cards take the
demo tools from one process the module shares (`demo_url`: over streamable HTTP, as the user's
server `demo`); the /tools screen shows the built-in demo server, started over stdio."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.ui.widgets.transcript.tool_card import ToolCard
from tests.support.mcp_servers import demo_over_http
from tests.support.snap import SIZES, freeze, settle_figures, steady_cursors
from tests.support.ui import idle, make_app, ready, wait_for
from tests.support.ui_tools import app_with_server

pytestmark = pytest.mark.usefixtures("isolated")

PROMPT = 'What is 6*7? calculate(expression="6*7")'
START = 30.0  # seconds: the first turn starts the demo server (a Python process)


@pytest.fixture(scope="module")
def demo_url():
    with demo_over_http() as url:
        yield url


def asking(app) -> bool:
    return any(card.state == "asking" and app.focused is card for card in app.transcript.query(ToolCard))


def fixed_tool_times(app) -> None:
    """Each finished call took 12 ms, as far as the picture is concerned."""
    for card in app.transcript.query(ToolCard):
        if card.result is not None:
            card.result = replace(card.result, ms=12.0)
            card._draw()
    if app.status.facts.tool_count:
        app.status.show(tool_ms=12.0)


def steps(monkeypatch, answer: bool):
    async def before(pilot):
        app = pilot.app
        freeze(app, monkeypatch)
        await ready(pilot)
        app.prompt.load_text(PROMPT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: asking(app), timeout=START)
        if answer:
            await pilot.press("y")
            await wait_for(pilot, lambda: idle(app), timeout=START)
            fixed_tool_times(app)
        settle_figures(app)
        steady_cursors(app)
        await pilot.pause()

    return before


@pytest.mark.parametrize("size", SIZES)
def test_tool_card_asking(snap_compare, monkeypatch, isolated, demo_url, size):
    assert snap_compare(app_with_server(isolated, "demo", url=demo_url), terminal_size=size, run_before=steps(monkeypatch, answer=False))


@pytest.mark.parametrize("size", SIZES)
def test_tool_card_finished(snap_compare, monkeypatch, isolated, demo_url, size):
    assert snap_compare(app_with_server(isolated, "demo", url=demo_url), terminal_size=size, run_before=steps(monkeypatch, answer=True))


def tools_screen_steps(monkeypatch):
    async def before(pilot):
        from textual.widgets import Switch

        from rtchat.ui.screens.tools import ToolsScreen

        app = pilot.app
        freeze(app, monkeypatch)
        await ready(pilot)
        app.prompt.load_text("/tools")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ToolsScreen) and isinstance(app.focused, Switch), timeout=START)  # listed
        steady_cursors(app)
        await pilot.pause()

    return before


@pytest.mark.parametrize("size", SIZES)
def test_tools_screen(snap_compare, monkeypatch, isolated, size):
    config = isolated / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[mcp.servers.ghost]\ncommand = ["rtchat-no-such-command-here"]\n', encoding="utf-8")  # fails the same way every run
    app = make_app(model="loopback/tools")
    assert snap_compare(app, terminal_size=size, run_before=tools_screen_steps(monkeypatch))

"""The protocol picker with tools on: the DeepSeek V4 socket's row says its frames carry no tools
and points at SSE, whose row says it offers them; choosing SSE from it is one Enter away.
With no MCP server configured (no tools on), the rows say nothing of tools. The real app under
Pilot, with a config file naming a real stdio MCP server (never started: the picker only asks
which servers a turn would offer)."""

from __future__ import annotations

import json

import pytest
from textual.widgets import OptionList

from rtchat.ui.screens.protocol_picker import ProtocolPicker
from tests.support.env import write_config
from tests.support.mcp_servers import stdio_config
from tests.support.ui import make_app, ready, wait_for

MODEL = "deepseek/deepseek-v4-flash"


def rows(app) -> dict[str, str]:
    options = app.screen.query_one(OptionList)
    return {options.get_option_at_index(i).id: str(options.get_option_at_index(i).prompt) for i in range(options.option_count)}


def notes_server(tmp_path) -> None:
    write_config(tmp_path, f"[mcp.servers.notes]\ncommand = {json.dumps(list(stdio_config('notes').command))}\n")


async def picker_rows(pilot) -> dict[str, str]:
    """F4, and each protocol's row as shown."""
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ProtocolPicker))
    return rows(pilot.app)


@pytest.fixture
def deepseek_app(isolated, monkeypatch):
    """The app on the DeepSeek V4 socket, its key a dummy, the user's config naming one MCP server."""
    monkeypatch.setenv("DEEPSEEK_API_KEY", "k")
    notes_server(isolated)
    return make_app(model=MODEL, protocol="websocket")


async def test_with_tools_on_the_deepseek_socket_row_says_no_tools_and_sse_offers_them(deepseek_app):
    app = deepseek_app
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(pilot)
        shown = await picker_rows(pilot)
        assert "no tools over this socket; SSE offers them" in shown["websocket"]
        assert "offers this conversation's tools" in shown["sse"]
        await pilot.press("up", "enter")  # from the socket (current) to SSE
        await wait_for(pilot, lambda: not isinstance(app.screen, ProtocolPicker))
        assert app.state.protocol == "sse"


async def test_with_tools_off_the_rows_say_nothing_of_tools(deepseek_app):
    app = deepseek_app
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(pilot)
        app.screen.tools.choices.servers = set()  # /tools: every server switched off
        shown = await picker_rows(pilot)
    assert not any("tools" in row for row in shown.values()), shown

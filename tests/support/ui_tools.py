"""The app asking about a tool call: the card that asks, and the app on loopback/tools with
one user-configured MCP server. Shared by the tool card's Pilot tests."""

from __future__ import annotations

import json
import sys

from rtchat.config import load_config
from rtchat.ui.widgets.transcript.tool_card import ToolCard
from tests.support.ui import wait_for

START = 30.0  # seconds: a turn that starts an MCP server (a Python process) on a loaded machine


def asking_card(app) -> ToolCard | None:
    return next((card for card in app.transcript.query(ToolCard) if card.state == "asking"), None)


async def asked(pilot, previous: ToolCard | None = None) -> ToolCard:
    """The card that asks now (another than `previous`), once it has the keys."""
    app = pilot.app

    def asking() -> bool:
        card = asking_card(app)
        return card is not None and card is not previous and app.focused is card

    await wait_for(pilot, asking, timeout=START)
    return asking_card(app)


def app_with_server(isolated, name: str, *command: str, settings: str = "", url: str | None = None):
    """The app on loopback/tools with the user's config naming one MCP server (run from `command`,
    else at `url`), rtchat's demo off."""
    from rtchat.ui.app import RtChatApp

    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = f"url = {json.dumps(url)}" if url else f"command = {json.dumps([sys.executable, *command])}"
    path.write_text(f"[tools]\ndemo = false\n{settings}\n[mcp.servers.{name}]\n{entry}\n", encoding="utf-8")
    return RtChatApp(load_config(), model="loopback/tools")

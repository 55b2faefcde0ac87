"""The app in voice mode with tools: the user's config naming the tool layer's stdio test server
(rtchat's demo server off), on the loopback's Realtime or Live endpoint."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from rtchat.catalog import ModelInfo
from rtchat.config import load_config
from tests.support.mcp_servers import stdio_config


def voice_tools_app(config_home: Path, model: str, protocol: str, tools: tuple[str, ...], voice_devices=None):
    """The app on `model` (loopback/tools, or gemini/tools on the loopback's Live endpoint; set
    GEMINI_API_KEY to a dummy) with the test MCP server offering `tools`. `config_home` is the
    `isolated` fixture's folder; `voice_devices` None: the system's (PortAudio)."""
    from rtchat.ui.app import RtChatApp

    path = config_home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    command = json.dumps(list(stdio_config("local").command))
    path.write_text(f"[tools]\ndemo = false\n[mcp.servers.local]\ncommand = {command}\ntools = {json.dumps(list(tools))}\n", encoding="utf-8")
    config = load_config()
    if model.startswith("gemini/"):  # the built-in loopback's Live endpoint, `tools` declared a Live voice model
        gemini = config.catalog.providers["gemini"]
        live_tools = ModelInfo("tools", True, ("websocket",), voice=True, ws_wire="gemini_live")
        config.catalog.providers["gemini"] = replace(gemini, base_url="", models=(live_tools, *gemini.models))
    return RtChatApp(config, model=model, protocol=protocol, voice_devices=voice_devices)

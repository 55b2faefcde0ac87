"""`mcp-server-time` (the MCP project's reference time server, from PyPI, in its own virtualenv
with whatever `mcp` it pins) started, listed, called and stopped through rtchat's ToolRegistry."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rtchat.config_rules import McpServer, ToolSettings
from rtchat.tools.registry import ServerState, ToolRegistry
from tests.interop.procs import record_versions

REPO = Path(__file__).resolve().parents[2]
SERVER = "mcp-server-time"


def binary() -> Path:
    path = Path(os.environ.get("RTCHAT_INTEROP_MCP_TIME", REPO / ".interop" / "mcp-time" / "bin" / "mcp-server-time"))
    if not path.exists():
        pytest.skip(f"mcp-server-time is not installed at {path} (scripts/interop installs it)")
    record_versions(SERVER, path.parent / "python", "mcp-server-time", "mcp")
    return path


@pytest.fixture
async def registry():
    config = McpServer(name="time", command=(str(binary()), "--local-timezone", "UTC"))
    lines: list[str] = []
    made = ToolRegistry({"time": config}, ToolSettings(start_timeout=60), log=lines.append)
    notices: list[str] = []
    await made.start(["time"], notices.append)
    assert notices == [], lines[-20:]
    yield made
    await made.aclose()


@pytest.mark.route("start, list tools")
async def test_it_starts_and_lists_its_tools(registry):
    [status] = registry.status()
    assert (status.state, status.transport, status.problem) == (ServerState.READY, "stdio", None)
    tools = {tool.name: tool for tool in registry.tools(["time"])}
    assert {"get_current_time", "convert_time"} <= set(tools)
    assert "timezone" in tools["get_current_time"].spec().parameters["properties"]


@pytest.mark.route("tools/call")
async def test_a_call_answers_in_the_zone_asked(registry):
    tool = next(tool for tool in registry.tools(["time"]) if tool.name == "convert_time")
    outcome = await registry.call(tool, {"source_timezone": "Europe/London", "time": "12:00", "target_timezone": "Asia/Tokyo"}, 60)
    assert (outcome.status, outcome.is_error) == ("ok", False)
    answer = json.loads(outcome.output)
    assert answer["target"]["timezone"] == "Asia/Tokyo" and answer["target"]["datetime"][11:16] in ("20:00", "21:00")


@pytest.mark.route("a tool error")
async def test_an_unknown_zone_is_an_error_result(registry):
    tool = next(tool for tool in registry.tools(["time"]) if tool.name == "get_current_time")
    outcome = await registry.call(tool, {"timezone": "Mars/Olympus_Mons"}, 60)
    assert outcome.is_error and "Mars/Olympus_Mons" in outcome.output
    assert registry.status()[0].state is ServerState.READY

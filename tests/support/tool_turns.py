"""rtchat's own HTTP turn through a whole tool loop against the loopback's `tools` model: the
target for each wire, a session set up for it, and the tool at the edge.

Shared by the loopback's tool-loop test and the history's resend test."""

from __future__ import annotations

from dataclasses import replace

from rtchat.config import load_config
from rtchat.conversation import ToolSpec
from rtchat.events import ToolCallRequest, ToolCallResult
from rtchat.session import Session

TOOLS_SCHEMA = {"type": "object", "properties": {"timezone": {"type": "string", "enum": ["UTC", "Europe/Paris"]}}, "required": ["timezone"]}
TURN_TARGETS = {  # wire -> (model ref, base URL suffix, key variable, provider wire override)
    "openai_chat": ("openai/tools@0", "/v1", "OPENAI_API_KEY", None),
    "openai_responses": ("openai/tools@0", "/v1", "OPENAI_API_KEY", "openai_responses"),
    "anthropic": ("anthropic/tools@0", "", "ANTHROPIC_API_KEY", None),
    "gemini": ("gemini/tools@0", "", "GEMINI_API_KEY", None),
}


class ClockTool:
    """A ToolRunner with one tool that always says the same time.

    A fake at a true edge: the tool itself (what an MCP server would run, approved by a user).
    The turn, its wire builder and decoder, the sockets and the loopback model are all real."""

    max_steps = 4

    def __init__(self) -> None:
        self.ran: list[tuple[str, str, str]] = []

    async def offer(self, put) -> tuple[ToolSpec, ...]:
        return (ToolSpec("time__now", "The time in a zone", TOOLS_SCHEMA),)

    async def run(self, calls, put) -> None:
        for call in calls:
            put(ToolCallRequest(call.id, call.name, "clock", call.arguments))
            self.ran.append((call.id, call.name, call.arguments))
            put(ToolCallResult(call.id, call.name, "12:00 UTC", ms=0.1, server="clock"))


def tool_session(wire: str, monkeypatch) -> Session:
    """A session whose provider for `wire` has a (fake) key and speaks that wire."""
    _, _, key_var, wire_override = TURN_TARGETS[wire]
    monkeypatch.setenv(key_var, "test-key-123")
    session = Session(load_config())
    if wire_override:
        providers = session.config.catalog.providers
        providers["openai"] = replace(providers["openai"], wire=wire_override)
    return session

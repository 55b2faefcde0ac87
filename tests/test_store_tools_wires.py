"""A tool answer stored from a real turn goes back exactly, on every HTTP wire.

A real HttpTurn asks the loopback's `tools` model (real sockets, each wire's real builder and
decoder), runs its call, and is recorded through the one recorder into a real SQLite file. The
conversation is then rebuilt from the file as `--continue` does, and its stored tool step is
sent back to the loopback as a follow-up: the loopback replays what it sent and refuses any call,
argument, result or signature that differs (each provider's own 400). It accepts the stored one,
and refuses the same step with an argument changed (the control: the check can fail).

The tool itself is the only fake (a fixed clock: what a tool does is not this test's subject).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rtchat.config import load_config
from rtchat.conversation import ChatMessage, Conversation, ToolSpec
from rtchat.events import Done, Error, TextDelta, ToolCallRequest, ToolCallResult
from rtchat.history import TurnRecorder
from rtchat.run import TurnService
from rtchat.session import Session
from rtchat.store import Store

WIRES = ["openai_chat", "anthropic", "gemini", "openai_responses"]
TARGETS = {  # wire -> (model ref, base URL suffix, key variable, provider wire override)
    "openai_chat": ("openai/tools@0", "/v1", "OPENAI_API_KEY", None),
    "openai_responses": ("openai/tools@0", "/v1", "OPENAI_API_KEY", "openai_responses"),
    "anthropic": ("anthropic/tools@0", "", "ANTHROPIC_API_KEY", None),
    "gemini": ("gemini/tools@0", "", "GEMINI_API_KEY", None),
}
SCHEMA = {"type": "object", "properties": {"timezone": {"type": "string", "enum": ["UTC", "Europe/Paris"]}}, "required": ["timezone"]}
PROMPT = "What time is it?"


class Clock:
    """The tool layer at its edge: one tool, approved, always "12:00 UTC"."""

    max_steps = 4

    async def offer(self, put) -> tuple[ToolSpec, ...]:
        return (ToolSpec("time__now", "The time in a zone", SCHEMA),)

    async def run(self, calls, put) -> None:
        for call in calls:
            put(ToolCallRequest(call.id, call.name, "clock", call.arguments))
            put(ToolCallResult(call.id, call.name, "12:00 UTC", ms=0.5, server="clock"))


async def session_for(wire: str, monkeypatch) -> Session:
    _, _, key_var, wire_override = TARGETS[wire]
    monkeypatch.setenv(key_var, "test-key-123")
    session = Session(load_config())
    if wire_override:
        providers = session.config.catalog.providers
        providers["openai"] = replace(providers["openai"], wire=wire_override)
    return session


async def run_turn(session: Session, loopback, wire: str, conversation: Conversation, service: TurnService | None = None) -> list:
    ref, suffix, _, _ = TARGETS[wire]
    target = await session.resolve(ref, loopback.url + suffix)
    turn = session.turn(target, conversation, "low", tools=Clock())
    if service is None:
        return [event async for event in turn.events()]
    shown: list = []
    await service.prompt(PROMPT, target, "sse", None)
    await service.run(turn, shown.append)
    return shown


@pytest.mark.parametrize("wire", WIRES)
async def test_a_stored_tool_step_is_accepted_back_by_the_model_that_made_it(isolated, loopback, monkeypatch, wire: str) -> None:
    path = Path(isolated) / "history.db"
    session = await session_for(wire, monkeypatch)
    try:
        service, live = TurnService(TurnRecorder(Store.open(path), warn=lambda text: None)), Conversation()
        live.add_user(PROMPT)
        events = await run_turn(session, loopback, wire, live, service)
        conversation_id = service.recorder.conversation_id
        service.recorder.close()
        assert isinstance(events[-1], Done) and events[-1].reason == "complete", events[-1]
        assert not [e for e in events if isinstance(e, Error)]

        recorder = TurnRecorder(Store.open(path), warn=lambda text: None)  # `rtchat ask --continue`
        resumed, _ = recorder.resume(conversation_id)
        recorder.close()
        assert resumed.messages == live.messages
        stored = resumed.messages[1]
        assert [call.name for step in stored.rounds for call in step.calls] == ["time__now"]

        # The stored step as the follow-up it once was: the loopback checks it against what it sent.
        follow_up = Conversation([resumed.messages[0], ChatMessage("assistant", "", rounds=stored.rounds)])
        answered = await run_turn(session, loopback, wire, follow_up)
        assert "".join(e.text for e in answered if isinstance(e, TextDelta)) == "time__now returned: 12:00 UTC"
        assert not [e for e in answered if isinstance(e, Error)]

        step = stored.rounds[0]
        altered = replace(step, calls=[replace(call, arguments=call.arguments.replace("UTC", "Europe/Paris")) for call in step.calls])
        tampered = Conversation([resumed.messages[0], ChatMessage("assistant", "", rounds=[altered])])
        refused = await run_turn(session, loopback, wire, tampered)
    finally:
        await session.aclose()
    assert [e for e in refused if isinstance(e, Error)], "the loopback refuses a step that differs"
    records = [r for r in loopback.records if r.model == "tools@0"]
    assert [r.status for r in records[:3]] == [200, 200, 200]

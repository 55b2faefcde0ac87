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

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Error, TextDelta
from rtchat.history import TurnRecorder
from rtchat.run import TurnService
from rtchat.session import Session
from rtchat.store import Store
from tests.support.tool_turns import TURN_TARGETS, ClockTool, tool_session
from tests.support.tool_wires import WIRES

PROMPT = "What time is it?"


async def run_turn(session: Session, loopback, wire: str, conversation: Conversation, service: TurnService | None = None) -> list:
    ref, suffix, _, _ = TURN_TARGETS[wire]
    target = await session.resolve(ref, loopback.url + suffix)
    turn = session.turn(target, conversation, "low", tools=ClockTool())
    if service is None:
        return [event async for event in turn.events()]
    shown: list = []
    await service.prompt(PROMPT, target, "sse", None)
    await service.run(turn, shown.append)
    return shown


@pytest.mark.parametrize("wire", WIRES)
async def test_a_stored_tool_step_is_accepted_back_by_the_model_that_made_it(isolated, loopback, monkeypatch, wire: str) -> None:
    path = Path(isolated) / "history.db"
    session = tool_session(wire, monkeypatch)
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

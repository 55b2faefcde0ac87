"""Tool calls over the sockets (issue 25): Realtime (GA and beta) and Gemini Live, against the
loopback `tools` model over real WebSockets, each turn's calls run through a `ToolRunner`.

The runner is `tests.support.socket_tools.ClockTools`, a fake at a true edge (the tool and the
user's approval); the turn, the wire, the socket and the loopback model are real. What went
over the wire is read from the loopback's record of the frames it received.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rtchat.catalog import provider_from_config
from rtchat.conversation import Conversation
from rtchat.events import ToolCallDelta, ToolCallRequest, ToolCallResult
from rtchat.wire import gemini_live, openai_realtime as rt
from tests.support.socket_tools import CLOCK, DICE, ClockTools, outputs_sent, run_tool_turn, tool_updates
from tests.support.turns import done_of, errors_of, text_of
from tests.support.ws import make_session

TWO_ZONES = "what time is it? time__now(timezone=UTC) time__now(timezone=Asia/Tokyo)"


async def realtime_target(session, loopback, dialect: str):
    if dialect == "beta":
        provider = provider_from_config("betaserver", {"base_url": loopback.url + "/beta/v1", "needs_key": False, "models": ["tools"]}, None)
        session.config.catalog.providers["betaserver"] = replace(provider, ws_wire="openai_realtime")
        return await session.resolve("betaserver/tools")
    return await session.resolve("loopback/tools", loopback.url + "/v1")


@pytest.mark.parametrize("dialect", ["ga", "beta"])
async def test_a_realtime_text_turn_runs_parallel_calls_and_answers_from_their_results(isolated, loopback, dialect):
    session = make_session()
    tools = ClockTools()
    try:
        target = await realtime_target(session, loopback, dialect)
        events, turn = await run_tool_turn(session, target, Conversation(), TWO_ZONES, tools)
    finally:
        await session.aclose()
    assert errors_of(events) == [] and done_of(events) == "complete"
    assert tools.ran == [("call_1", "time__now", '{"timezone":"UTC"}'), ("call_2", "time__now", '{"timezone":"Asia/Tokyo"}')]
    assert [e.id for e in events if isinstance(e, ToolCallRequest)] == ["call_1", "call_2"]
    assert [e.output for e in events if isinstance(e, ToolCallResult)] == ["12:00 UTC", "12:00 Asia/Tokyo"]
    assert text_of(events) == "time__now returned: 12:00 UTC\n\ntime__now returned: 12:00 Asia/Tokyo"
    (step,) = turn.answer().rounds  # one turn, one fold: the calls' step, then the answer's words
    assert [call.arguments for call in step.calls] == ['{"timezone":"UTC"}', '{"timezone":"Asia/Tokyo"}']
    (connection,) = loopback.connections
    assert connection.dialect == dialect and connection.responses == 2
    (offered,) = tool_updates(connection)
    expected = {"tools": [{"type": "function", "name": "time__now", "description": "The time in a zone", "parameters": CLOCK.parameters}], "tool_choice": "auto"}
    assert offered == (expected if dialect == "beta" else {**expected, "type": "realtime"})
    assert outputs_sent(connection) == [
        {"type": "function_call_output", "call_id": "call_1", "output": "12:00 UTC"},
        {"type": "function_call_output", "call_id": "call_2", "output": "12:00 Asia/Tokyo"},
    ]
    # both outputs, then ONE response.create
    assert connection.received[-3:] == ["conversation.item.create", "conversation.item.create", "response.create"]
    assert connection.received.count("response.create") == 2

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

from rtchat.catalog import PROTOCOLS, provider_from_config
from rtchat.conversation import ChatMessage, Conversation, ToolResult
from rtchat.events import ToolCallDelta, ToolCallRequest, ToolCallResult
from rtchat.wire import gemini_live, openai_realtime as rt
from rtchat.wire.gemini_schema import gemini_parameters
from tests.support.socket_tools import CLOCK, DICE, ClockTools, outputs_sent, run_tool_turn, tool_updates
from tests.support.turns import done_of, errors_of, text_of
from tests.support.webrtc import calls
from tests.support.ws_peers import socket_peer
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


async def test_a_gemini_live_turn_declares_tools_at_setup_and_answers_with_a_tool_response(isolated, loopback):
    session = make_session(loopback)
    tools = ClockTools()
    try:
        target = await session.resolve("gemini/tools")
        events, turn = await run_tool_turn(session, target, Conversation(), TWO_ZONES, tools)
    finally:
        await session.aclose()
    assert errors_of(events) == [] and done_of(events) == "complete"
    assert [(call_id, arguments) for call_id, _, arguments in tools.ran] == [("call_1", '{"timezone": "UTC"}'), ("call_2", '{"timezone": "Asia/Tokyo"}')]
    (step,) = turn.answer().rounds
    assert [result.output for result in step.results] == ["12:00 UTC", "12:00 Asia/Tokyo"]
    assert "time__now returned:" in text_of(events) and "Asia/Tokyo" in text_of(events)
    (connection,) = loopback.connections
    declared = {"name": "time__now", "description": "The time in a zone", "parameters": gemini_parameters(CLOCK.parameters)}
    assert connection.setup["tools"] == [{"functionDeclarations": [declared]}] and declared["parameters"]["type"] == "OBJECT"
    (response,) = connection.tool_frames  # both results in ONE toolResponse; the model goes on by itself
    assert response == {"toolResponse": {"functionResponses": [
        {"name": "time__now", "response": {"output": "12:00 UTC"}, "id": "call_1"},
        {"name": "time__now", "response": {"output": "12:00 Asia/Tokyo"}, "id": "call_2"},
    ]}}


async def test_tools_are_sent_again_only_when_the_offer_changes(isolated, loopback):
    session = make_session()
    conversation = Conversation()
    try:
        target = await realtime_target(session, loopback, "ga")
        first, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=UTC)", ClockTools())
        second, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=Europe/Paris)", ClockTools())
        third, _ = await run_tool_turn(session, target, conversation, "dice__roll(sides=6)", ClockTools((CLOCK, DICE)))
    finally:
        await session.aclose()
    assert [done_of(events) for events in (first, second, third)] == ["complete"] * 3
    assert "Europe/Paris" in text_of(second) and "dice__roll returned" in text_of(third)
    (connection,) = loopback.connections  # one socket, and the tools told twice: at first, and when they changed
    assert [[tool["name"] for tool in update["tools"]] for update in tool_updates(connection)] == [["time__now"], ["time__now", "dice__roll"]]
    assert [item["call_id"] for item in outputs_sent(connection)] == ["call_1", "call_2", "call_3"]


@pytest.mark.parametrize("wire", ["realtime", "live"])
async def test_ctrl_c_during_a_call_cancels_it_and_the_late_result_is_never_sent(isolated, loopback, wire):
    session = make_session(loopback)
    conversation = Conversation()
    held = ClockTools(hold=True)
    try:
        target = await (session.resolve("gemini/tools") if wire == "live" else realtime_target(session, loopback, "ga"))
        events, turn = await run_tool_turn(session, target, conversation, "time__now(timezone=UTC)", held, cancel_when=held.started)
        assert done_of(events) == "interrupted" and held.cancelled, "Ctrl-C cancelled the call in flight and the turn"
        assert not any(isinstance(e, ToolCallResult) for e in events), "the late result is not shown"
        after, next_turn = await run_tool_turn(session, target, conversation, "time__now(timezone=Europe/Oslo)", ClockTools())
    finally:
        await session.aclose()
    assert done_of(after) == "complete" and next_turn.clock.connect_ms == 0, "the next turn ran on the same socket"
    assert "Europe/Oslo" in text_of(after)
    (connection,) = loopback.connections
    if wire == "live":
        sent = [response["id"] for frame in connection.tool_frames for response in frame["toolResponse"]["functionResponses"]]
    else:
        sent = [item["call_id"] for item in outputs_sent(connection)]
    assert sent == ["call_2"], "only the next turn's call was answered; the cancelled call_1 never was"


@pytest.mark.parametrize("dialect", ["ga", "beta"])
async def test_the_loopback_refuses_an_output_for_an_unknown_call_and_waits_for_response_create(loopback, dialect):
    import websockets  # the raw socket: these frames are what a broken client would send

    url = loopback.url.replace("http", "ws") + ("/beta/v1" if dialect == "beta" else "/v1") + "/realtime?model=tools"
    async with websockets.connect(url) as socket:
        assert json.loads(await socket.recv())["type"] == "session.created"
        await socket.send(json.dumps(rt.function_call_output(ToolResult("call_nope", "time__now", "12:00"))))
        error = json.loads(await socket.recv())
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        assert "call_nope" in error["error"]["message"] and error["error"]["code"]
        await socket.send(json.dumps(rt.item_create(ChatMessage("user", "time__now(timezone=UTC)"))))
        await socket.send(json.dumps(rt.tools_update((CLOCK,), dialect)))
        await socket.send(json.dumps(rt.response_create()))
        seen = await _until(socket, "response.done")
        call = [item for item in seen[-1]["response"]["output"] if item["type"] == "function_call"][0]
        await socket.send(json.dumps(rt.function_call_output(ToolResult(call["call_id"], "time__now", "12:00 UTC"))))
        await socket.send(json.dumps(rt.tools_update((CLOCK,), dialect)))  # a round trip, and no response.create
        seen = await _until(socket, "session.updated")
    assert "response.created" not in [event["type"] for event in seen], "no response starts without response.create"
    assert loopback.records[-1].outcome == "tool_use"


async def _until(socket, kind: str) -> list[dict]:
    seen = []
    while not seen or seen[-1]["type"] != kind:
        seen.append(json.loads(await socket.recv()))
    return seen


async def test_the_deepseek_socket_refuses_a_turn_with_tools_in_one_line(isolated, loopback):
    session = make_session()
    tools = ClockTools()
    try:
        target = await session.resolve("deepseek/deepseek-v4-flash", loopback.url)
        events, _ = await run_tool_turn(session, target, Conversation(), "hi", tools)
    finally:
        await session.aclose()
    (error,) = errors_of(events)
    assert error.message == "no tools over this socket; use --protocol sse" and done_of(events) == "error"
    assert tools.offered == 0 and loopback.connections == [], "refused before any tool server starts or a socket opens"


def test_realtime_calls_decode_from_deltas_from_done_alone_and_from_response_done_alone():
    decoder = rt.RealtimeDecoder()
    frames = [
        {"type": "response.created", "response": {"id": "r1"}},
        {"type": "response.output_item.added", "response_id": "r1", "item": {"id": "i1", "type": "function_call", "call_id": "c1", "name": "a", "arguments": ""}},
        {"type": "response.function_call_arguments.delta", "response_id": "r1", "item_id": "i1", "call_id": "c1", "delta": '{"x":'},
        {"type": "response.function_call_arguments.delta", "response_id": "r1", "item_id": "i1", "call_id": "c1", "delta": " 1}"},
        {"type": "response.function_call_arguments.done", "response_id": "r1", "item_id": "i1", "call_id": "c1", "name": "a", "arguments": '{"x": 1}'},
        {"type": "response.function_call_arguments.done", "response_id": "r1", "item_id": "i2", "call_id": "c2", "name": "b", "arguments": "{}"},
        {"type": "response.done", "response": {"id": "r1", "status": "completed", "output": [
            {"id": "i1", "type": "function_call", "call_id": "c1", "name": "a", "arguments": '{"x": 1}'},
            {"id": "i2", "type": "function_call", "call_id": "c2", "name": "b", "arguments": "{}"},
            {"id": "i3", "type": "function_call", "call_id": "c3", "name": "c", "arguments": '{"y":2}'},
        ]}},
    ]
    events = [event for frame in frames for event in decoder.feed(frame)]
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls == [
        ToolCallDelta(0, "c1", "a"), ToolCallDelta(0, arguments='{"x":'), ToolCallDelta(0, arguments=" 1}"),
        ToolCallDelta(1, "c2", "b"), ToolCallDelta(1, arguments="{}"),
        ToolCallDelta(2, "c3", "c"), ToolCallDelta(2, arguments='{"y":2}'),
    ], "each call once, its arguments exactly as sent, nothing repeated by .done or response.done"
    assert events[-1].reason == "tool_use"


def test_live_tool_calls_decode_and_cancellations_drop_their_responses():
    protocol = gemini_live.LiveProtocol("models/x", ["TEXT"])
    protocol.receive_data(json.dumps({"toolCall": {"functionCalls": [{"id": "f1", "name": "a", "args": {"q": "é"}}, {"name": "b", "args": {}}]}}))
    first, second, done = protocol.events_received()
    assert first == ToolCallDelta(0, "f1", "a", '{"q": "é"}') and done.reason == "tool_use"
    assert second.id == "live_call_2" and dict(second.extra) == {"synthetic_id": "1"}
    protocol.receive_data(json.dumps({"toolCallCancellation": {"ids": ["f1"]}}))
    (notice,) = protocol.events_received()
    assert "f1" in notice.text
    protocol.send_tool_results([ToolResult("f1", "a", "late"), ToolResult("live_call_2", "b", "ok")])
    (frame,) = protocol.data_to_send()
    assert json.loads(frame) == {"toolResponse": {"functionResponses": [{"name": "b", "response": {"output": "ok"}}]}}, "no synthetic id goes back; a withdrawn call gets nothing"


async def test_a_webrtc_text_turn_carries_the_same_tool_events_on_its_data_channel(isolated, loopback):
    session = make_session()
    loopback_provider = session.config.catalog.providers["loopback"]
    models = tuple(replace(m, protocols=PROTOCOLS) if m.id == "tools" else m for m in loopback_provider.models)
    session.config.catalog.providers["loopback"] = replace(loopback_provider, models=models)  # the catalogue lists loopback/tools as SSE only
    tools = ClockTools()
    try:
        target = await session.resolve("loopback/tools", loopback.url + "/v1")
        events, turn = await run_tool_turn(session, target, Conversation(), TWO_ZONES, tools, protocol="webrtc")
    finally:
        await session.aclose()
    assert errors_of(events) == [] and done_of(events) == "complete" and turn.protocol == "webrtc"
    assert "12:00 Asia/Tokyo" in text_of(events) and len(tools.ran) == 2
    (call,) = calls(loopback)
    assert [item["call_id"] for item in outputs_sent(call)] == ["call_1", "call_2"] and [u["tool_choice"] for u in tool_updates(call)] == ["auto"]
    assert call.received[-3:] == ["conversation.item.create", "conversation.item.create", "response.create"]


@pytest.mark.parametrize("wire", ["realtime", "live"])
async def test_a_fresh_socket_is_given_the_earlier_tool_steps_as_context(isolated, loopback, wire):
    conversation = Conversation()
    for prompt in (TWO_ZONES, "time__now(timezone=Europe/Oslo)"):
        session = make_session(loopback)  # a new session each time: a fresh socket, the context rebuilt
        tools = ClockTools()
        try:
            target = await (session.resolve("gemini/tools") if wire == "live" else realtime_target(session, loopback, "ga"))
            events, _ = await run_tool_turn(session, target, conversation, prompt, tools)
        finally:
            await session.aclose()
        assert errors_of(events) == [] and done_of(events) == "complete"
    assert [call_id for call_id, _, _ in tools.ran] == ["call_3"], "the new socket was given both earlier calls (and their results)"
    assert len(loopback.connections) == 2


async def test_other_tools_open_a_new_live_session_that_resumes_the_conversation(isolated, loopback):
    session = make_session(loopback)
    conversation = Conversation()
    try:
        target = await session.resolve("gemini/tools")
        first, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=UTC)", ClockTools())
        same, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=UTC)", ClockTools())
        other, _ = await run_tool_turn(session, target, conversation, "dice__roll(sides=6)", ClockTools((CLOCK, DICE)))
    finally:
        await session.aclose()
    assert [done_of(events) for events in (first, same, other)] == ["complete"] * 3 and "dice__roll returned" in text_of(other)
    old, new = loopback.connections  # Live fixes tools at setup: a new session, resumed with the handle
    assert [d["name"] for d in new.setup["tools"][0]["functionDeclarations"]] == ["time__now", "dice__roll"]
    assert new.setup["sessionResumption"]["handle"] and old.responses == 4


async def test_a_responses_websocket_turn_sends_its_tool_step_with_the_same_builder_as_sse(isolated, loopback, monkeypatch):
    monkeypatch.setenv("RTCHAT_TEST_OPENAI_KEY", "sk-fake")
    session = make_session()
    openai = session.config.catalog.providers["openai"]
    session.config.catalog.providers["openai"] = replace(openai, base_url=loopback.url + "/v1", wire="openai_responses", key_env=("RTCHAT_TEST_OPENAI_KEY",))
    tools = ClockTools()
    try:
        target = await session.resolve("openai/tools")
        events, turn = await run_tool_turn(session, target, Conversation(), TWO_ZONES, tools)
    finally:
        await session.aclose()
    assert errors_of(events) == [] and done_of(events) == "complete" and len(tools.ran) == 2
    assert "12:00 Asia/Tokyo" in text_of(events)
    first, second = loopback.records  # two response.create frames on one socket
    assert first.wire == second.wire == "openai_responses_ws" and len(loopback.connections) == 1
    assert [tool["name"] for tool in second.request_json["tools"]] == ["time__now"]
    kinds = [item.get("type", "message") for item in second.request_json["input"]]
    assert kinds[-4:] == ["function_call", "function_call", "function_call_output", "function_call_output"]


async def test_the_step_limit_ends_a_chain_of_calls_and_the_socket_goes_on(isolated, loopback):
    session = make_session()
    conversation = Conversation()
    limited = ClockTools()
    limited.max_steps = 1
    try:
        target = await realtime_target(session, loopback, "ga")
        events, turn = await run_tool_turn(session, target, conversation, "time__now(timezone=UTC) then time__now(timezone=Asia/Tokyo)", limited)
        after, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=Europe/Oslo)", ClockTools())
    finally:
        await session.aclose()
    assert done_of(events) == "length" and [call_id for call_id, _, _ in limited.ran] == ["call_1"]
    assert any("[tools] max_steps" in getattr(e, "text", "") for e in events)
    assert len(turn.answer().rounds) == 1 and turn.answer().tool_calls[0].id == "call_2", "the second step's call was asked, never run"
    assert done_of(after) == "complete" and "Europe/Oslo" in text_of(after)
    (connection,) = loopback.connections
    assert [item["call_id"] for item in outputs_sent(connection)] == ["call_1", "call_3"]


async def test_ctrl_c_in_a_later_step_keeps_the_earlier_step_and_the_server_is_not_sent_it_twice(isolated, loopback):
    session = make_session()
    conversation = Conversation()

    class SecondStepHolds(ClockTools):
        async def run(self, calls, put):
            self.hold = bool(self.ran)  # the first step answers at once; the second is in flight at Ctrl-C
            await super().run(calls, put)

    held = SecondStepHolds()
    try:
        target = await realtime_target(session, loopback, "ga")
        events, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=UTC) then time__now(timezone=Asia/Tokyo)", held, cancel_when=held.started)
        after, _ = await run_tool_turn(session, target, conversation, "time__now(timezone=Europe/Oslo)", ClockTools())
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted" and held.cancelled
    (kept,) = conversation.messages[1].rounds  # the answered first step is kept; the call in flight is not
    assert [call.id for call in kept.calls] == ["call_1"] and conversation.messages[1].text == ""
    assert done_of(after) == "complete" and errors_of(after) == []
    (connection,) = loopback.connections
    assert [frame["item"].get("call_id") for frame in connection.tool_frames if frame.get("type") == "conversation.item.create"] == ["call_1", "call_3"], "nothing of the first turn was sent twice"


async def test_the_live_loopback_withdraws_calls_at_an_interruption_and_closes_on_an_unknown_response(loopback):
    import websockets  # the raw socket: these frames are what a broken client would send

    url = loopback.url.replace("http", "ws") + gemini_live.PATH
    setup = gemini_live.setup("tools", ["TEXT"], manual_activity=True, tools=(CLOCK,))
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps(setup))
        await _until_key(socket, "setupComplete")
        await socket.send(json.dumps(gemini_live.client_content([ChatMessage("user", "time__now(timezone=UTC)")])))
        (call,) = (await _until_key(socket, "toolCall"))[-1]["toolCall"]["functionCalls"]
        await socket.send(json.dumps(gemini_live.activity_start()))
        cancelled = (await _until_key(socket, "toolCallCancellation"))[-1]
        assert cancelled == {"toolCallCancellation": {"ids": [call["id"]]}}
        late = gemini_live.tool_response([ToolResult(call["id"], "time__now", "12:00 UTC")], set())
        await socket.send(json.dumps(late))  # a late response to a withdrawn call: ignored
        await socket.send(json.dumps(gemini_live.tool_response([ToolResult("call_nope", "time__now", "12:00")], set())))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _until_key(socket, "never")
    assert closed.value.rcvd.code == 1007 and "call_nope" in closed.value.rcvd.reason
    assert loopback.connections[-1].tool_frames[0] == {"toolResponse": late["toolResponse"]}


async def _until_key(socket, key: str) -> list[dict]:
    seen = []
    while not seen or key not in seen[-1]:
        seen.append(json.loads(await socket.recv()))
    return seen


async def test_a_live_server_that_withdraws_the_call_in_flight_stops_it_and_gets_no_response(isolated):
    held = ClockTools(hold=True)
    received: list[dict] = []

    async def live_server(socket) -> None:  # a Live peer that cancels the call once it runs
        async for message in socket:
            frame = json.loads(message.data)
            received.append(frame)
            if "setup" in frame:
                await socket.send_json({"setupComplete": {}})
            elif "clientContent" in frame:
                await socket.send_json({"toolCall": {"functionCalls": [{"id": "f1", "name": "time__now", "args": {"timezone": "UTC"}}]}})
                await held.started.wait()
                await socket.send_json({"toolCallCancellation": {"ids": ["f1"]}})

    async with socket_peer(live_server) as peer:
        session = make_session()
        session.config.catalog.providers["gemini"] = replace(session.config.catalog.providers["gemini"], base_url=peer.url, needs_key=False)
        try:
            target = await session.resolve("gemini/tools")
            events, _ = await run_tool_turn(session, target, Conversation(), "time__now(timezone=UTC)", held)
        finally:
            await session.aclose()
    assert done_of(events) == "interrupted" and held.cancelled, "the withdrawn call was cancelled where it ran"
    assert any("withdrew tool call(s) f1" in getattr(e, "text", "") for e in events)
    assert not any("toolResponse" in frame for frame in received), "nothing was sent for a withdrawn call"

"""A Realtime GA response that holds both function calls and an `mcp_approval_request` (a server
rtchat runs the calls of, and a remote one the provider calls, declared side by side): rtchat answers the approval on its card,
runs the function call, and sends every output and the approval answer before ONE
`response.create`; the remote call's result lands on the card its approval asked on, with its
running time, like a local call's. Over a real WebSocket and a WebRTC data channel to the
loopback (which fakes the remote server, never calling its URL); the approver is the one fake
(the user's key), the runner and the MCP server are real (the tool layer's test server, one
process the module's turns share over streamable HTTP: `local_url`).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.catalog import PROTOCOLS
from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import Conversation
from rtchat.events import ToolCallDelta, ToolCallRequest, ToolCallResult
from rtchat.tools.approval import ConversationTools, Decision
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import DECLINED, ToolSession
from rtchat.wire.openai_realtime import RealtimeDecoder
from tests.support.approvers import Key
from tests.support.mcp_servers import SCRIPT, http_script
from tests.support.socket_tools import outputs_sent, run_tool_turn
from tests.support.turns import done_of, errors_of, text_of
from tests.support.webrtc import calls
from tests.support.ws import make_session

NOTES = McpServer("notes", url="http://127.0.0.1:9/mcp", tools=("search",), realtime="remote")
PROMPT = "echo(text=hi)"


@pytest.fixture(scope="module")
def local_url():
    with http_script(SCRIPT, "http") as url:
        yield url


async def mixed_turn(loopback, local_url: str, answer: Decision, protocol: str):
    session = make_session()
    provider = session.config.catalog.providers["loopback"]  # the catalogue lists loopback/tools as SSE only
    session.config.catalog.providers["loopback"] = replace(provider, models=tuple(replace(m, protocols=PROTOCOLS) if m.id == "tools" else m for m in provider.models))
    registry = ToolRegistry({"notes": NOTES, "local": McpServer("local", url=local_url)}, ToolSettings(demo=False))
    await registry.start(["local"], lambda line: None)
    others = {tool.name for tool in registry.tools(["local"]) if tool.original != "echo"}
    key = Key(answer)
    runner = ToolSession(registry, key, ConversationTools(None, others), ToolSettings(demo=False), "loopback")
    try:
        target = await session.resolve("loopback/tools", loopback.url + "/v1")
        events, turn = await run_tool_turn(session, target, Conversation(), PROMPT, runner, protocol=protocol)
    finally:
        await session.aclose()
        await registry.aclose()
    (connection,) = calls(loopback) if protocol == "webrtc" else loopback.connections
    return events, turn, key, connection


def answers_sent(connection) -> list[tuple[str, object]]:
    """What the client sent after the first `response.create`, in order: item kinds and requests."""
    frames = connection.tool_frames
    return [(frame["item"]["type"] if frame.get("type") == "conversation.item.create" else frame["type"], frame.get("item", {}).get("approve")) for frame in frames if frame.get("type") != "session.update"]


@pytest.mark.parametrize("protocol", ["websocket", "webrtc"])
async def test_function_calls_and_an_approval_request_in_one_response_are_answered_before_one_response_create(isolated, loopback, local_url, protocol):
    events, turn, key, connection = await mixed_turn(loopback, local_url, Decision.ONCE, protocol)
    assert errors_of(events) == [] and done_of(events) == "complete"
    assert sorted(request.tool for request in key.asked) == ["echo", "search"]  # both asked on their cards
    (output,) = outputs_sent(connection)
    (echo,) = [e for e in events if isinstance(e, ToolCallResult) and e.name == "echo"]
    assert output["call_id"] == echo.id and output["output"] == "hi"
    creates = [i for i, kind in enumerate(connection.received) if kind == "response.create"]
    assert len(creates) == 2  # the prompt's, and ONE after the outputs and the approval
    after_step = connection.received[creates[0] + 1 : creates[1] + 1]
    assert after_step == ["conversation.item.create", "conversation.item.create", "response.create"], after_step
    (search,) = [e for e in events if isinstance(e, ToolCallResult) and e.name == "search"]
    (asked_search,) = [r for r in key.asked if r.tool == "search"]
    assert search.id == asked_search.call.id  # the result lands on the card its approval asked on
    assert (search.server, search.status, search.output) == ("notes", "ok", f"notes found: {PROMPT}")
    assert search.ms is not None and search.ms >= 0  # its running time, as a local call has
    assert [e.id for e in events if isinstance(e, ToolCallRequest)].count(search.id) == 1  # one card for it
    assert text_of(events).endswith(f"search returned: notes found: {PROMPT}")
    (step,) = turn.answer().rounds  # one step: both calls, both results (the history block)
    assert sorted(call.name for call in step.calls) == ["echo", "search"]
    assert {result.call_id: result.ms is not None for result in step.results} == {echo.id: True, search.id: True}


async def test_declining_both_sends_the_denied_output_and_approve_false_before_one_response_create(isolated, loopback, local_url):
    events, turn, _, connection = await mixed_turn(loopback, local_url, Decision.DENY, "websocket")
    assert errors_of(events) == [] and done_of(events) == "complete"
    (output,) = outputs_sent(connection)  # the remote call's denial is not an output: only the function's
    assert output["output"] == DECLINED
    approvals = [frame["item"] for frame in connection.tool_frames if frame.get("type") == "conversation.item.create" and frame["item"]["type"] == "mcp_approval_response"]
    assert [a["approve"] for a in approvals] == [False]
    assert connection.received.count("response.create") == 2
    assert sorted((e.name, e.status) for e in events if isinstance(e, ToolCallResult)) == [("echo", "denied"), ("search", "denied")]
    assert "declined the call to notes.search" in text_of(events)
    (step,) = turn.answer().rounds
    assert sorted(result.status for result in step.results) == ["denied", "denied"]


def test_a_remote_call_shows_as_it_streams_and_runs_with_its_running_time():
    """`response.mcp_call_arguments.*` grow its card, `response.mcp_call.in_progress` runs it (the
    status line says "calling search · …"), the item's `.done` gives the result and the time."""
    decoder = RealtimeDecoder()
    now = iter([10.0, 10.25])
    decoder.clock = lambda: next(now)
    item = {"id": "mcp_1", "type": "mcp_call", "server_label": "notes", "name": "search", "arguments": "", "output": None, "error": None}
    ids = {"response_id": "r", "item_id": "mcp_1", "output_index": 0}
    (shown,) = decoder.feed({"type": "response.output_item.added", "response_id": "r", "item": {**item, "status": "in_progress"}})
    assert (type(shown), shown.id, shown.name, shown.arguments) == (ToolCallDelta, "mcp_1", "search", "")
    (grown,) = decoder.feed({"type": "response.mcp_call_arguments.delta", **ids, "delta": '{"query":'})
    (rest,) = decoder.feed({"type": "response.mcp_call_arguments.done", **ids, "arguments": '{"query":"tea"}'})
    assert grown.arguments + rest.arguments == '{"query":"tea"}' and grown.index == rest.index == shown.index
    (running,) = decoder.feed({"type": "response.mcp_call.in_progress", "item_id": "mcp_1", "output_index": 0})
    assert (type(running), running.id, running.server, running.arguments) == (ToolCallRequest, "mcp_1", "notes", '{"query":"tea"}')
    assert decoder.feed({"type": "response.mcp_call.completed", "item_id": "mcp_1", "output_index": 0}) == []
    (result,) = decoder.feed({"type": "response.output_item.done", "response_id": "r", "item": {**item, "arguments": '{"query":"tea"}', "output": "found", "status": "completed"}})
    assert (type(result), result.id, result.output, result.ms) == (ToolCallResult, "mcp_1", "found", 250.0)
    assert decoder.feed({"type": "response.output_item.done", "response_id": "r", "item": {**item, "output": "found"}}) == []  # each once

"""Remote MCP inside Realtime GA (issue 25): a `realtime = "remote"` server is declared in
`session.tools` (not started by rtchat), its approval requests reach the user's approver and the
answer goes back as an `mcp_approval_response` item, over a real WebSocket to the loopback (which
fakes the remote server deterministically, no network). The approver is a fake at the true edge
(the user's key); the runner is rtchat's own `ToolSession`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from rtchat.catalog import PROTOCOLS, provider_from_config
from rtchat.config import ConfigError, parse_config
from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import ChatMessage, Conversation
from rtchat.debuglog import WireLog
from rtchat.events import Notice, ToolCallRequest, ToolCallResult
from rtchat.tools.approval import ConversationTools, Decision
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import ToolSession
from rtchat.wire import openai_realtime as rt
from rtchat.wire.openai_realtime import RealtimeDecoder
from tests.support.approvers import Key
from tests.support.mcp_servers import http_server
from tests.support.socket_tools import run_tool_turn, tool_updates
from tests.support.turns import done_of, errors_of, text_of
from tests.support.webrtc import calls
from tests.support.ws import make_session

SECRET = "nt-9f8e7d6c5b4a3"  # not a "Bearer" token: only the known-secret redaction can hide it
NOTES = McpServer("notes", url="http://127.0.0.1:9/mcp", headers={"X-Notes-Token": SECRET}, tools=("search",), realtime="remote")


def test_realtime_remote_is_read_for_a_url_server_and_local_is_the_default(tmp_path):
    text = '[mcp.servers.notes]\nurl = "https://notes.example/mcp"\nrealtime = "remote"\n[mcp.servers.time]\nurl = "https://time.example/mcp"\n'
    servers = parse_config(text, tmp_path / "config.toml").mcp_servers
    assert (servers["notes"].realtime, servers["time"].realtime) == ("remote", "local")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[mcp.servers.x]\ncommand = ["a"]\nrealtime = "remote"\n', '[mcp.servers.x] realtime = "remote" is for a url server (the provider must reach it); a command server stays local'),
        ('[mcp.servers.x]\nurl = "http://h/mcp"\nrealtime = "cloud"\n', "[mcp.servers.x] realtime must be \"local\" or \"remote\" (got 'cloud')"),
    ],
)
def test_realtime_remote_needs_a_url_and_one_of_two_values(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "config.toml")
    assert [problem.split(": ", 1)[1] for problem in caught.value.problems] == [message]


def tool_session(approver) -> ToolSession:
    registry = ToolRegistry({"notes": NOTES}, ToolSettings(demo=False))
    return ToolSession(registry, approver, ConversationTools(), ToolSettings(demo=False), "loopback")


def approvals_sent(connection) -> list[dict]:
    return [frame["item"] for frame in connection.tool_frames if frame.get("type") == "conversation.item.create" and frame["item"].get("type") == "mcp_approval_response"]


async def remote_turn(loopback, answer: Decision, protocol: str = "websocket"):
    session = make_session()
    if protocol == "webrtc":  # the catalogue lists loopback/tools as SSE only
        provider = session.config.catalog.providers["loopback"]
        models = tuple(replace(m, protocols=PROTOCOLS) if m.id == "tools" else m for m in provider.models)
        session.config.catalog.providers["loopback"] = replace(provider, models=models)
    key = Key(answer)
    try:
        target = await session.resolve("loopback/tools", loopback.url + "/v1")
        events, turn = await run_tool_turn(session, target, Conversation(), "find my notes on tea", tool_session(key), protocol=protocol)
    finally:
        await session.aclose()
    return events, turn, key


@pytest.mark.parametrize("protocol", ["websocket", "webrtc"])
async def test_a_remote_server_is_declared_with_its_headers_and_an_approved_call_runs_at_the_provider(isolated, loopback, protocol):
    events, turn, key = await remote_turn(loopback, Decision.ONCE, protocol)
    assert errors_of(events) == [] and done_of(events) == "complete" and turn.protocol == protocol
    (connection,) = calls(loopback) if protocol == "webrtc" else loopback.connections
    (offered,) = tool_updates(connection)
    assert offered["tools"] == [{"type": "mcp", "server_label": "notes", "server_url": NOTES.url, "allowed_tools": ["search"], "require_approval": "always", "headers": {"X-Notes-Token": SECRET}}]
    ((asked,),) = [key.asked]
    assert (asked.server, asked.tool, asked.call.arguments) == ("notes", "search", '{"query":"find my notes on tea"}')
    (approval,) = approvals_sent(connection)
    assert approval["approve"] is True and approval["approval_request_id"] == asked.call.id
    assert connection.received[-2:] == ["conversation.item.create", "response.create"]
    (result,) = [e for e in events if isinstance(e, ToolCallResult)]
    assert (result.server, result.output, result.status) == ("notes", "notes found: find my notes on tea", "ok")
    assert [e.server for e in events if isinstance(e, ToolCallRequest)] == ["notes"]
    assert text_of(events).endswith("search returned: notes found: find my notes on tea")
    assert [n.text for n in events if isinstance(n, Notice)] == ["remote mcp 'notes': 1 tool"]
    (step,) = turn.answer().rounds  # the history keeps the remote call like a local one
    assert [call.name for call in step.calls] == ["search"] and step.results[0].server == "notes"
    assert not any(SECRET in n.text for n in events if isinstance(n, Notice))


async def test_a_declined_remote_call_goes_back_as_approve_false_and_shows_denied(isolated, loopback):
    events, _, key = await remote_turn(loopback, Decision.DENY)
    assert errors_of(events) == [] and done_of(events) == "complete"
    (connection,) = loopback.connections
    (approval,) = approvals_sent(connection)
    assert approval["approve"] is False and len(key.asked) == 1
    (result,) = [e for e in events if isinstance(e, ToolCallResult)]
    assert (result.status, result.server) == ("denied", "notes")
    assert "declined" in text_of(events)


@pytest.mark.parametrize("configured", [False, True], ids=["announced", "configured"])
async def test_the_beta_dialect_cannot_declare_a_remote_server_so_rtchat_runs_it_locally_saying_so_once(isolated, loopback, configured):
    """Announced by the server: the first turn leaves the server out (said), the next runs it locally.
    Configured (`realtime_dialect = "beta"`): it runs locally from the first turn (said once)."""
    session = make_session()
    key = Key(Decision.ONCE)
    conversation = Conversation()
    async with http_server("notes") as served:  # a real streamable HTTP MCP server, for the local run
        notes = replace(NOTES, url=served.url, tools=None)
        registry = ToolRegistry({"notes": notes}, ToolSettings(demo=False))
        runner = ToolSession(registry, key, ConversationTools(), ToolSettings(demo=False), "betaserver")
        try:
            table = {"base_url": loopback.url + "/beta/v1", "needs_key": False, "models": ["tools"]} | ({"realtime_dialect": "beta"} if configured else {})
            session.config.catalog.providers["betaserver"] = replace(provider_from_config("betaserver", table, None), ws_wire="openai_realtime")
            target = await session.resolve("betaserver/tools")
            first, _ = await run_tool_turn(session, target, conversation, "echo(text=first)" if configured else "find my notes on tea", runner)
            second, _ = await run_tool_turn(session, target, conversation, "echo(text=tea)", runner)
        finally:
            await session.aclose()
            await registry.aclose()
    assert errors_of(first) == [] and done_of(first) == "complete" and done_of(second) == "complete"
    notices = [n.text for n in first + second if isinstance(n, Notice)]
    assert len(notices) == 1 and "remote mcp 'notes'" in notices[0] and "beta" in notices[0] and SECRET not in notices[0]
    (connection,) = loopback.connections
    assert connection.dialect == "beta"
    (offered,) = tool_updates(connection)  # the second turn: the server's tools as function tools, run by rtchat
    assert "echo" in [tool["name"] for tool in offered["tools"]] and all(tool["type"] == "function" for tool in offered["tools"])
    assert any(seen.get("x-notes-token") == SECRET for seen in served.headers_seen), "rtchat itself reached the server, with its headers"
    assert [(asked.server, asked.tool) for asked in key.asked] == [("notes", "echo")] * (2 if configured else 1)
    assert [e.output for e in second if isinstance(e, ToolCallResult)] == ["tea"]


async def test_the_frames_on_both_sides_are_what_openai_python_types_accept(loopback):
    """rtchat's client events (the `mcp` tool, the approval answer) validate as openai-python's
    client event params, and every server event of the loopback's remote flow as its server events."""
    import openai
    from openai.types.realtime import RealtimeClientEventParam, RealtimeServerEvent
    from pydantic import TypeAdapter

    client_events, server_events = TypeAdapter(RealtimeClientEventParam), TypeAdapter(RealtimeServerEvent)
    client = openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test")
    decoder, decoded, seen = RealtimeDecoder(), [], []

    async def until(kind: str) -> None:
        while True:
            raw = await connection.recv_bytes()
            event = server_events.validate_json(raw)
            seen.append(event.type)
            decoded.extend(decoder.feed(json.loads(raw)))
            if event.type == kind:
                return

    async with client.realtime.connect(model="tools") as connection:
        update = rt.tools_update((), rt.GA, remote=(NOTES,))
        update["session"]["output_modalities"] = ["text"]
        for event in (update, rt.item_create(ChatMessage("user", "tea"))):
            client_events.validate_python(event)
            await connection.send(event)
        await until("conversation.item.done")  # the user's item
        await connection.send(rt.response_create())
        await until("response.done")
        (request,) = decoder.approvals
        answer = rt.mcp_approval_response(request.id, True)
        client_events.validate_python(answer)
        await connection.send(answer)
        await connection.send(rt.response_create())
        await until("response.done")
    assert {"mcp_list_tools.in_progress", "mcp_list_tools.completed", "response.mcp_call_arguments.delta", "response.mcp_call.completed"} <= set(seen)
    assert (request.name, request.server, request.arguments) == ("search", "notes", '{"query":"tea"}')
    (result,) = [e for e in decoded if isinstance(e, ToolCallResult)]
    assert (result.output, result.server) == ("notes found: tea", "notes")


def test_a_failed_listing_and_a_failed_remote_call_each_say_so_once():
    decoder = RealtimeDecoder()
    listed = {"type": "conversation.item.added", "item": {"id": "l1", "type": "mcp_list_tools", "server_label": "notes", "tools": []}}
    assert decoder.feed(listed) == [] and decoder.feed({"type": "mcp_list_tools.in_progress", "item_id": "l1"}) == []
    (notice,) = decoder.feed({"type": "mcp_list_tools.failed", "item_id": "l1"})
    assert notice.level == "warning" and notice.text.startswith("remote mcp 'notes': the provider could not list its tools")
    decoder.feed({"type": "response.created", "response": {"id": "r1"}})
    failed = {"id": "m1", "type": "mcp_call", "server_label": "notes", "name": "search", "arguments": "{}", "output": None, "error": {"type": "http_error", "code": 502, "message": "Bad gateway"}}
    events = decoder.feed({"type": "response.output_item.done", "response_id": "r1", "item": failed})
    events += decoder.feed({"type": "response.done", "response": {"id": "r1", "status": "completed", "output": [failed]}})  # the same item again: shown once
    (result,) = [e for e in events if isinstance(e, ToolCallResult)]
    assert (result.output, result.is_error, result.status, result.server) == ("Bad gateway", True, "error", "notes")
    assert events[-1].reason == "complete", "a remote call needs nothing from rtchat: the answer ends as usual"


def test_a_server_quoting_the_header_back_in_an_error_shows_it_redacted():
    protocol = rt.RealtimeProtocol(["text"], rt.GA)
    protocol.send_turn(Conversation(), (), (NOTES,))
    assert any(SECRET in frame for frame in protocol.data_to_send()), "the header goes to the provider, which needs it"
    protocol.receive_data(json.dumps({"type": "error", "error": {"type": "invalid_request_error", "code": "invalid_value", "message": f"headers.X-Notes-Token '{SECRET}' was refused"}}))
    (error, _) = protocol.events_received()
    assert SECRET not in error.message and "[redacted]" in error.message


def test_the_debug_wire_log_never_shows_a_remote_servers_header(tmp_path):
    session = make_session()
    session.config.mcp_servers = {"notes": NOTES}
    session.wire_log = WireLog(tmp_path / "wire.log")
    session.tool_registry()  # the servers' header and env values join the log's secrets
    session.wire_log.frame(json.dumps(rt.tools_update((), rt.GA, remote=(NOTES,))))
    session.wire_log.close()
    logged = (tmp_path / "wire.log").read_text()
    assert '"server_label": "notes"' in logged and SECRET not in logged and "[redacted]" in logged


async def test_always_answers_the_next_remote_request_without_asking_again(isolated, loopback):
    session = make_session()
    key = Key(Decision.ALWAYS)
    runner = tool_session(key)
    conversation = Conversation()
    try:
        target = await session.resolve("loopback/tools", loopback.url + "/v1")
        for prompt in ("tea", "coffee"):
            events, _ = await run_tool_turn(session, target, conversation, prompt, runner)
            assert done_of(events) == "complete" and text_of(events).endswith(f"notes found: {prompt}")
    finally:
        await session.aclose()
    (connection,) = loopback.connections
    assert [a["approve"] for a in approvals_sent(connection)] == [True, True] and len(key.asked) == 1


class Waiting:
    """The user has not pressed a key yet: the decision never comes (Ctrl-C ends the wait)."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def decide(self, request):
        self.asked.set()
        await asyncio.Event().wait()


async def test_ctrl_c_while_a_remote_call_waits_for_the_key_approves_nothing(isolated, loopback):
    session = make_session()
    key = Waiting()
    try:
        target = await session.resolve("loopback/tools", loopback.url + "/v1")
        events, _ = await run_tool_turn(session, target, Conversation(), "tea", tool_session(key), cancel_when=key.asked)
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted"
    (connection,) = loopback.connections
    assert approvals_sent(connection) == [] and connection.received.count("response.create") == 1

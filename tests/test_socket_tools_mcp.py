"""Socket turns with the real tool layer: the demo MCP server's tools (the SDK's server in a
process, one the module's turns share over streamable HTTP: how the server is reached is not
what these test), its calls approved by a person pressing y (the one edge faked), over a
Realtime WebSocket (GA and beta), a WebRTC data channel and a Gemini Live socket to the loopback."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.catalog import PROTOCOLS, provider_from_config
from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import Conversation
from rtchat.events import Done, ToolCallRequest, ToolCallResult
from rtchat.tools.approval import ConversationTools
from rtchat.tools.registry import DEMO_SERVER, ToolRegistry
from rtchat.tools.runner import ToolSession
from tests.support.socket_tools import outputs_sent
from tests.support.approvers import Yes
from tests.support.mcp_servers import demo_over_http
from tests.support.turns import text_of
from tests.support.ws import make_session

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture(scope="module")
def demo_url():
    with demo_over_http() as url:
        yield url


async def socket_target(session, loopback, kind: str):
    if kind == "live":
        return await session.resolve("gemini/tools")
    if kind == "beta":
        provider = provider_from_config("betaserver", {"base_url": loopback.url + "/beta/v1", "needs_key": False, "models": ["tools"]}, None)
        session.config.catalog.providers["betaserver"] = replace(provider, ws_wire="openai_realtime")
        return await session.resolve("betaserver/tools")
    lb = session.config.catalog.providers["loopback"]  # the catalogue lists loopback/tools as SSE only: let it take a call too
    session.config.catalog.providers["loopback"] = replace(lb, models=tuple(replace(m, protocols=PROTOCOLS) if m.id == "tools" else m for m in lb.models))
    return await session.resolve("loopback/tools", loopback.url + "/v1")


@pytest.mark.parametrize("kind", ["ga", "beta", "webrtc", "live"])
async def test_a_socket_turn_takes_demo_server_calls_through_to_the_answer(loopback, demo_url, kind):
    session = make_session(loopback)
    registry = ToolRegistry({DEMO_SERVER: McpServer(name=DEMO_SERVER, url=demo_url)}, ToolSettings())
    user = Yes()
    try:
        target = await socket_target(session, loopback, kind)
        tools = ToolSession(registry, user, ConversationTools(), ToolSettings(), target.provider.id)
        conversation = Conversation()
        conversation.add_user('calculate(expression="2 ** 10") then time_now(zone="UTC")')
        turn = session.turn(target, conversation, protocol="webrtc" if kind == "webrtc" else "websocket", tools=tools)
        events = [event async for event in turn.events()]
    finally:
        await session.aclose()
        await registry.aclose()
    assert isinstance(events[-1], Done) and events[-1].reason == "complete", events[-1]
    assert [(e.name, e.server) for e in events if isinstance(e, ToolCallRequest)] == [("calculate", "demo"), ("time_now", "demo")]
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [(r.status, r.server) for r in results] == [("ok", "demo"), ("ok", "demo")] and results[0].output == "1024"
    assert [request.call.name for request in user.asked] == ["calculate", "time_now"], "each call was put to the user"
    assert "1024" in text_of(events) and len(turn.answer().rounds) == 2
    (connection,) = loopback.connections
    if kind == "live":
        sent = [r["response"] for frame in connection.tool_frames for r in frame["toolResponse"]["functionResponses"]]
        assert sent[0] == {"output": "1024"} and len(sent) == 2
    else:
        assert [item["output"] for item in outputs_sent(connection)][0] == "1024"

"""The first run with no key and no network: a loopback `tools` turn, the demo MCP server started
by the registry, the call approved and run, and the answer that quotes its result. Everything is
real (the loopback on 127.0.0.1, the SDK's server in a process); the user pressing y is the edge.
The per-wire turns take the demo tools from one process the module shares over streamable HTTP
(`demo_url`): what they test is each wire's tool steps, not the server's start."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.config import load_config
from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import Conversation
from rtchat.events import Done, ToolCallRequest, ToolCallResult
from rtchat.session import Session
from rtchat.tools.approval import ConversationTools
from rtchat.tools.registry import DEMO_SERVER, ToolRegistry
from rtchat.tools.runner import ToolSession
from tests.support.approvers import Yes
from tests.support.mcp_servers import demo_over_http
from tests.support.turns import text_of

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture(scope="module")
def demo_url():
    with demo_over_http() as url:
        yield url

WIRES = {  # wire: (model, the loopback's path for it, the key variable, the provider's wire to use)
    "openai_chat": ("openai/tools", "/v1", "OPENAI_API_KEY", None),
    "openai_responses": ("openai/tools", "/v1", "OPENAI_API_KEY", "openai_responses"),
    "anthropic": ("anthropic/tools", "", "ANTHROPIC_API_KEY", None),
    "gemini": ("gemini/tools", "", "GEMINI_API_KEY", None),
}


async def test_a_loopback_turn_calls_the_demo_server_and_answers_from_its_result(loopback):
    session = Session(load_config())
    registry = ToolRegistry({}, ToolSettings())
    user = Yes()
    try:
        target = await session.resolve("loopback/tools", loopback.url + "/v1")
        tools = ToolSession(registry, user, ConversationTools(), ToolSettings(), target.provider.id)
        conversation = Conversation()
        conversation.add_user('What is calculate(expression="6 * 7")?')
        turn = session.turn(target, conversation, tools=tools)
        events = [event async for event in turn.events()]
    finally:
        await session.aclose()
        await registry.aclose()
    requests = [event for event in events if isinstance(event, ToolCallRequest)]
    results = [event for event in events if isinstance(event, ToolCallResult)]
    assert [(request.name, request.server) for request in requests] == [("calculate", "demo")]
    assert [(result.output, result.status, result.server) for result in results] == [("42", "ok", "demo")]
    assert [request.call.name for request in user.asked] == ["calculate"]
    assert isinstance(events[-1], Done) and events[-1].reason == "complete"
    assert "calculate returned: 42" in text_of(events), text_of(events)


@pytest.mark.parametrize("wire", list(WIRES))
async def test_each_wire_takes_a_demo_server_call_through_to_the_answer(loopback, demo_url, wire, monkeypatch):
    model, path, key, wire_override = WIRES[wire]
    monkeypatch.setenv(key, "test-key")  # a dummy the loopback accepts
    config = load_config()
    if wire_override:
        provider = model.split("/")[0]
        config.catalog.providers[provider] = replace(config.catalog.providers[provider], wire=wire_override)
    session = Session(config)
    registry = ToolRegistry({DEMO_SERVER: McpServer(name=DEMO_SERVER, url=demo_url)}, ToolSettings())  # configured like any server, so every provider gets it
    try:
        target = await session.resolve(model, loopback.url + path)
        tools = ToolSession(registry, Yes(), ConversationTools(), ToolSettings(), target.provider.id)
        conversation = Conversation()
        conversation.add_user('calculate(expression="2 ** 10") then time_now(zone="UTC")')
        events = [event async for event in session.turn(target, conversation, tools=tools).events()]
    finally:
        await session.aclose()
        await registry.aclose()
    results = [event for event in events if isinstance(event, ToolCallResult)]
    assert [(result.name, result.status) for result in results] == [("calculate", "ok"), ("time_now", "ok")], events
    assert results[0].output == "1024" and results[1].output.endswith("(UTC)")
    assert isinstance(events[-1], Done) and events[-1].reason == "complete", events[-1]
    assert "1024" in text_of(events)

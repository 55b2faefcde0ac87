"""The first run with no key and no network: a loopback `tools` turn, the demo MCP server started
by the registry, the call approved and run, and the answer that quotes its result. Everything is
real (the loopback on 127.0.0.1, the SDK's server in a process); the user pressing y is the edge."""

from __future__ import annotations

import pytest

from rtchat.config import load_config
from rtchat.config_rules import ToolSettings
from rtchat.conversation import Conversation
from rtchat.events import Done, ToolCallRequest, ToolCallResult
from rtchat.session import Session
from rtchat.tools.approval import ConversationTools, Decision
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import ToolSession
from tests.support.turns import text_of

pytestmark = pytest.mark.usefixtures("isolated")


class Yes:
    """The person at the keyboard, pressing y."""

    def __init__(self) -> None:
        self.asked = []

    async def decide(self, request):
        self.asked.append(request)
        return Decision.ONCE


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

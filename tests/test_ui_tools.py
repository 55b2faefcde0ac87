"""Pilot tests of tool calls in the app: the card, the user's y / a / n, Ctrl-C during a call.

The real app under `App.run_test()`: a model that calls a tool over a real HTTP stream
(Chat Completions SSE on 127.0.0.1, a few lines below: a true edge, the provider), the
real turn, runner, transcript, approver and status line. The tool side is a stand-in
runner with the `ToolRunner` protocol (a true edge: the MCP server), which asks the
app's approver exactly as the tool layer does.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pytest
from aiohttp import web

from rtchat.catalog import ModelInfo
from rtchat.config import load_config
from rtchat.conversation import ToolSpec
from rtchat.events import ToolCallRequest, ToolCallResult
from rtchat.tools.approval import Decision, ToolRequest
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from rtchat.ui.widgets.transcript.tool_card import ToolCard, clipped, pretty_arguments
from tests.support.peers import http_peer, sse_head
from tests.support.ui import focus, idle, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

DENIED = "The user declined this tool call."


def frame(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def caller(calls: int = 1):
    """A model that asks for `calls` calls of time_now (arguments in pieces), then answers."""
    seen = {"requests": 0}

    async def handler(request: web.Request) -> web.StreamResponse:
        seen["requests"] += 1
        response = await sse_head(request)
        if seen["requests"] == 1:
            await response.write(frame({"choices": [{"index": 0, "delta": {"content": "Let me look."}}]}))
            for i in range(calls):
                head = {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": "time_now", "arguments": ""}}
                await response.write(frame({"choices": [{"index": 0, "delta": {"tool_calls": [head]}}]}))
                for piece in ('{"zone": ', '"Europe/Paris"', f', "n": {i}}}'):
                    await response.write(frame({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "function": {"arguments": piece}}]}}]}))
            await response.write(frame({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}))
        else:
            await response.write(frame({"choices": [{"index": 0, "delta": {"content": "It is noon."}, "finish_reason": "stop"}]}))
        await response.write(b"data: [DONE]\n\n")
        return response

    return handler


class StandInTools:
    """The `ToolRunner` protocol with one tool on a server named "demo" (a true edge: the MCP side).

    Asks the app's approver for each call not allowed "always", as the tool layer does."""

    max_steps = 10

    def __init__(self, choices, approver, block: bool = False) -> None:
        self.choices = choices
        self.approver = approver
        self.block = block  # the tool never returns (Ctrl-C during a call)
        self.ran: list[str] = []
        self.running = asyncio.Event()

    async def offer(self, put):
        return (ToolSpec("time_now", "the time in a zone"),)

    async def run(self, calls, put) -> None:
        for call in calls:
            put(ToolCallRequest(call.id, call.name, "demo", call.arguments))
            key = f"demo/{call.name}"
            decision = Decision.ALWAYS if key in self.choices.always else await self.approver.decide(ToolRequest(call, "demo", call.name))
            if decision is Decision.DENY:
                put(ToolCallResult(call.id, call.name, DENIED, True, None, "demo", "denied"))
                continue
            if decision in (Decision.ALWAYS, Decision.SAVE):
                self.choices.always.add(key)
            started = time.perf_counter()
            self.running.set()
            if self.block:
                await asyncio.Event().wait()
            self.ran.append(call.id)
            put(ToolCallResult(call.id, call.name, "12:00 in Europe/Paris", False, 1000 * (time.perf_counter() - started), "demo"))


async def tool_app(peer_url: str, block: bool = False):
    from rtchat.ui.app import RtChatApp

    config = load_config()
    providers = config.catalog.providers
    providers["tooltest"] = replace(
        providers["openai"], id="tooltest", label="tool test", base_url=peer_url + "/v1", needs_key=False,
        models=(ModelInfo("caller"),), default_model="caller", lists_models=False, custom=True,
    )
    app = RtChatApp(config, model="tooltest/caller")
    made: list[StandInTools] = []

    def make_runner(target, protocol, choices, approver):
        made.append(StandInTools(choices, approver, block))
        return made[-1]

    app.chat.tools.make_runner = make_runner
    return app, made


def asking_card(app) -> ToolCard | None:
    return next((card for card in app.transcript.query(ToolCard) if card.state == "asking"), None)


async def test_allow_once_runs_the_call_and_the_answer_continues_below_the_card():
    async with http_peer(caller()) as peer:
        app, made = await tool_app(peer.url)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await send(pilot, "what time is it?")
            await wait_for(pilot, lambda: asking_card(app) is not None)
            card = asking_card(app)
            assert app.focused is card, "the asking card takes the keys"
            assert card.head == "⚙ demo · time_now"
            assert json.loads(card.arguments) == {"zone": "Europe/Paris", "n": 0}
            assert "allow?" in str(card._question.render())
            await pilot.press("y")
            await wait_for(pilot, lambda: idle(app))
            assert made[0].ran == ["call_0"]
            assert card.state == "ok" and "12:00" in str(card._result_text.render())
            answer = app.transcript.query_one(AssistantMessage)
            assert answer.text == "Let me look.\n\nIt is noon."
            children = [type(child).__name__ for child in answer.children if child.display]
            assert children.index("ToolCard") < len(children) - 1 - children[::-1].index("StreamingMarkdown"), "the text after the call is below its card"
            kept = app.state.conversation.messages[-1]
            assert kept.rounds[0].results[0].status == "ok" and kept.text == "It is noon."
            assert app.status.facts.tool_count == 1 and "tools 1 · " in app.status.text
            assert isinstance(app.focused, PromptInput), "the input gets the keys back"


async def test_deny_tells_the_model_the_user_declined():
    async with http_peer(caller()) as peer:
        app, made = await tool_app(peer.url)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await send(pilot, "what time is it?")
            await wait_for(pilot, lambda: asking_card(app) is not None)
            card = asking_card(app)
            await pilot.press("n")
            await wait_for(pilot, lambda: idle(app))
            assert made[0].ran == [] and card.state == "denied"
            assert "denied by you" in card.state_text
            result = app.state.conversation.messages[-1].rounds[0].results[0]
            assert (result.status, result.output) == ("denied", DENIED), "the model is told the user declined"
            assert len(peer.requests) == 2, "the answer went on after the denial"


async def test_always_allows_the_tool_without_asking_again_and_a_again_saves_it():
    async with http_peer(caller(calls=2)) as peer:
        app, made = await tool_app(peer.url)
        saved: list[tuple[str, str]] = []
        app.chat.tools.approver.save_always = lambda server, tool: saved.append((server, tool))
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await send(pilot, "what time is it?")
            await wait_for(pilot, lambda: asking_card(app) is not None)
            first = asking_card(app)
            await pilot.press("a")
            await wait_for(pilot, lambda: idle(app))
            assert made[0].approver.asked == ["call_0"], "the second call of the same tool is not asked"
            assert made[0].ran == ["call_0", "call_1"]
            assert [card.state for card in app.transcript.query(ToolCard)] == ["ok", "ok"]
            assert "a again: save to config" in first.state_text and app.focused is first
            await pilot.press("a")
            await wait_for(pilot, lambda: saved == [("demo", "time_now")])
            assert "a again" not in first.state_text and isinstance(app.focused, PromptInput)
            assert "demo/time_now" in app.chat.tools.choices.always
            await pilot.press("ctrl+k")  # a new conversation starts from the defaults
            await wait_for(pilot, lambda: not app.chat.tools.choices.always)


async def test_typing_y_in_the_prompt_does_not_approve():
    async with http_peer(caller()) as peer:
        app, made = await tool_app(peer.url)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await send(pilot, "what time is it?")
            await wait_for(pilot, lambda: asking_card(app) is not None)
            card = asking_card(app)
            await focus(pilot, app.prompt)
            await pilot.press("y", "a")
            await pilot.pause()
            assert app.prompt.text == "ya"
            assert card.state == "asking" and made[0].ran == []
            await focus(pilot, card)
            await pilot.press("y")
            await wait_for(pilot, lambda: idle(app))
            assert made[0].ran == ["call_0"]


async def test_ctrl_c_while_asking_or_running_cancels_and_keeps_the_answer():
    async with http_peer(caller()) as peer:
        app, made = await tool_app(peer.url, block=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await send(pilot, "what time is it?")
            await wait_for(pilot, lambda: asking_card(app) is not None)
            card = asking_card(app)
            await pilot.press("y")
            await wait_for(pilot, lambda: made[0].running.is_set() and card.state == "running")
            await wait_for(pilot, lambda: (app.status.facts.calling or "").startswith("time_now · "))
            assert "calling time_now · " in app.status.text
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: idle(app))
            assert card.state == "cancelled"
            answer = app.transcript.query_one(AssistantMessage)
            assert answer.reason == "interrupted" and answer.text == "Let me look."
            assert app.status.facts.calling is None


def test_a_huge_result_shows_its_first_lines_only():
    many = "\n".join(f"line {i}" for i in range(100_000))
    shown = clipped(many)
    assert shown.endswith("… 99,976 more lines") and len(shown) < 1000
    one_line = "x" * 10_000_000
    assert clipped(one_line).endswith("more characters") and len(clipped(one_line)) < 5000
    assert pretty_arguments('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_arguments('{"a": ') == '{"a": '  # not JSON: exactly as sent


async def test_real_demo_server_over_the_loopback_tools_model():
    from tests.support.ui import make_app

    app = make_app(model="loopback/tools")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "calculate(expression=\"2+3\")")
        await wait_for(pilot, lambda: asking_card(app) is not None, timeout=30)
        card = asking_card(app)
        print(card.head, card.arguments)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=30)
        print(card.state, card.result)
        print(app.transcript.query_one(AssistantMessage).text)
        print(app.status.text)

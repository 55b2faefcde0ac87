"""An HTTP turn's tool steps: request, calls, results, the next request, one answer.

The server is a real 127.0.0.1 peer speaking OpenAI's chat stream; the tool runner is a fake at
a true edge (the tools themselves: what a tool does is not this test's subject)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from rtchat.config import load_config
from rtchat.conversation import Conversation, ToolSpec
from rtchat.events import Done, Notice, TextDelta, ToolCallRequest, ToolCallResult
from rtchat.session import Session
from tests.support.peers import http_peer, sse_head

pytestmark = pytest.mark.usefixtures("isolated")


def frame(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def call_chunks(n: int) -> list[dict]:
    """One tool call, its arguments in two pieces, then finish_reason tool_calls and usage."""
    return [
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": f"call_{n}", "type": "function", "function": {"name": "now", "arguments": '{"zone":'}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ' "UTC"}'}}]}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5}},
    ]


def text_chunks(text: str) -> list[dict]:
    return [
        {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 3}},
    ]


def model_calling(times: int):
    """A server that asks for the tool `times` times, then answers."""
    async def handler(request):
        body = await request.json()
        asked = sum(1 for m in body["messages"] if m["role"] == "tool")
        response = await sse_head(request)
        for chunk in (call_chunks(asked + 1) if asked < times else text_chunks("It is noon.")):
            await response.write(frame(chunk))
        await response.write(b"data: [DONE]\n\n")
        return response
    return handler


class Runner:
    """The tool layer at its edge: every call runs at once and returns "12:00"."""

    def __init__(self, max_steps: int = 10, hold: asyncio.Event | None = None) -> None:
        self.max_steps = max_steps
        self.hold = hold  # when given, a call waits on it (a tool still running)
        self.running = asyncio.Event()
        self.ran: list[tuple[str, str]] = []
        self.start_takes = 0.0
        self.offered_at = 0.0

    async def offer(self, put):
        if self.start_takes:
            await asyncio.sleep(self.start_takes)  # the MCP servers' start-up, at the edge: a duration, not a synchronisation
        self.offered_at = time.perf_counter()
        return (ToolSpec("now", "the time", {"type": "object", "properties": {"zone": {"type": "string"}}}),)

    async def run(self, calls, put):
        for call in calls:
            put(ToolCallRequest(call.id, call.name, "clock", call.arguments))
            self.running.set()
            if self.hold is not None:
                await self.hold.wait()
            self.ran.append((call.id, call.arguments))
            put(ToolCallResult(call.id, call.name, "12:00", ms=1.0, server="clock"))


async def run_tool_turn(peer_url: str, runner: Runner, cancel_when_running: bool = False):
    session = Session(load_config())
    try:
        target = await session.resolve("litellm/m", peer_url + "/v1")
        conversation = Conversation()
        conversation.add_user("what time is it?")
        turn = session.turn(target, conversation, tools=runner)
        events = []
        async for event in turn.events():
            events.append(event)
            if cancel_when_running and isinstance(event, ToolCallRequest):
                await runner.running.wait()
                turn.cancel()
        return events, turn
    finally:
        await session.aclose()


async def test_a_tool_call_runs_and_the_answer_continues_in_the_same_turn():
    runner = Runner()
    async with http_peer(model_calling(1)) as peer:
        events, turn = await run_tool_turn(peer.url, runner)
    assert runner.ran == [("call_1", '{"zone": "UTC"}')], "the arguments reach the tool exactly as the model sent them"
    kinds = [type(e).__name__ for e in events if isinstance(e, (ToolCallRequest, ToolCallResult, TextDelta, Done))]
    assert kinds == ["ToolCallRequest", "ToolCallResult", "TextDelta", "Done"]
    assert events[-1] == Done("complete")
    answer = turn.answer()
    assert answer.text == "It is noon." and [c.id for c in answer.rounds[0].calls] == ["call_1"]
    assert answer.rounds[0].results[0].output == "12:00"
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (30, 8), "both requests' tokens count"
    assert len(peer.requests) == 2
    offered = peer.requests[0]["body"].get("tools") or []
    assert [t.get("function", t).get("name") for t in offered] == ["now"], "the tool was offered"


async def test_a_runaway_tool_loop_ends_at_the_step_limit_with_one_line():
    runner = Runner(max_steps=3)
    async with http_peer(model_calling(100)) as peer:
        events, turn = await run_tool_turn(peer.url, runner)
    assert len(runner.ran) == 3 and len(peer.requests) == 4
    warnings = [e.text for e in events if isinstance(e, Notice) and e.level == "warning"]
    assert len(warnings) == 1 and "3 times" in warnings[0]
    assert events[-1] == Done("length")


async def test_ctrl_c_during_a_call_stops_the_turn_and_keeps_what_was_shown():
    runner = Runner(hold=asyncio.Event())  # the tool never returns by itself
    async with http_peer(model_calling(1)) as peer:
        events, turn = await run_tool_turn(peer.url, runner, cancel_when_running=True)
    assert events[-1] == Done("interrupted")
    assert runner.ran == [] and len(peer.requests) == 1, "no result was sent on: the turn stopped"
    answer = turn.answer()
    assert [c.id for c in answer.tool_calls] == ["call_1"], "the call that was shown is kept"
    assert answer.message() is None, "a call without a result never goes back to the model"


async def test_without_tools_the_request_carries_no_tools_field():
    async with http_peer(model_calling(0)) as peer:
        session = Session(load_config())
        try:
            target = await session.resolve("litellm/m", peer.url + "/v1")
            conversation = Conversation()
            conversation.add_user("hi")
            turn = session.turn(target, conversation)
            [event async for event in turn.events()]
        finally:
            await session.aclose()
    assert "tools" not in peer.requests[0]["body"] and "tool_choice" not in peer.requests[0]["body"]


async def test_time_to_first_token_counts_from_after_the_tool_servers_started():
    runner = Runner()
    runner.start_takes = 0.4
    async with http_peer(model_calling(0)) as peer:
        events, turn = await run_tool_turn(peer.url, runner)
    assert turn.stats().started >= runner.offered_at, "the server start is not the model's latency"


def test_the_rate_leaves_out_the_time_between_tool_steps():
    from rtchat.metrics import TurnClock

    def streamed(clock: TurnClock, start: float) -> None:
        for i in range(11):  # 10 gaps of 10 ms: 100 tok/s
            clock.observe(TextDelta("x"), now=start + i * 0.01)

    clock = TurnClock(started=0.0)
    streamed(clock, 1.0)
    clock.observe(ToolCallRequest("call_1", "now", "time", "{}"))
    clock.observe(ToolCallResult("call_1", "now", "12:00", ms=29_000.0, server="time"))  # the user and the tool took 30 s
    streamed(clock, 31.0)
    assert clock.tokens_per_s == pytest.approx(100.0) and clock.metrics(now=32.0).tokens_per_s == pytest.approx(100.0)
    assert clock.ttft_ms == pytest.approx(1000.0)
    no_tools = TurnClock(started=0.0)  # the same arrivals in one stream: the pause is inside its span
    streamed(no_tools, 1.0)
    streamed(no_tools, 31.0)
    assert no_tools.tokens_per_s == pytest.approx(21 / 30.1)

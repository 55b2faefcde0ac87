"""What gateways and local servers send beyond the basics is kept and shown: LiteLLM's cost
and thinking blocks, llama.cpp's timings; TokenPAPA is built in. Real local peers."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from rtchat.answer import fold
from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.events import Cost, ServerTimings, ThinkingDelta, ThinkingSignature
from rtchat.session import Session
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.peers import http_peer, sse_head
from tests.support.streams import decode_chunks

pytestmark = pytest.mark.usefixtures("isolated")


def frame(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


async def litellm_with_thinking(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream", "x-litellm-response-cost": "0.00042"})
    await response.prepare(request)
    block = {"type": "thinking", "thinking": "let me see", "signature": "sig-from-anthropic"}
    await response.write(frame({"choices": [{"index": 0, "delta": {"reasoning_content": "let me see", "thinking_blocks": [block]}}]}))
    await response.write(frame({"choices": [{"index": 0, "delta": {"content": "answer"}, "finish_reason": "stop"}]}))
    await response.write(frame({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 3, "cost": 0.0005}}))
    await response.write(b"data: [DONE]\n\n")
    return response


async def run_turns(peer_url: str, ref: str, prompts: list[str]) -> list[list]:
    session = Session(load_config())
    conversation = Conversation()
    turns = []
    try:
        target = await session.resolve(ref, peer_url + "/v1")
        for prompt in prompts:
            conversation.add_user(prompt)
            turn = session.turn(target, conversation, "low")
            events = [event async for event in turn.events()]
            conversation.messages.append(turn.answer().message())
            turns.append(events)
    finally:
        await session.aclose()
    return turns


async def test_litellm_thinking_blocks_and_cost_are_kept_and_sent_back():
    async with http_peer(litellm_with_thinking) as peer:
        first, _ = await run_turns(peer.url, "litellm/claude-sonnet-4-5", ["one", "two"])
    thinking = "".join(e.text for e in first if isinstance(e, ThinkingDelta))
    assert thinking == "let me see", "reasoning_content and the block's text are one thought, shown once"
    assert [e.signature for e in first if isinstance(e, ThinkingSignature)] == ["sig-from-anthropic"]
    answer = fold(first)
    assert answer.cost == Cost(0.0005, "server"), "the usage figure (the last word) wins over the header's"
    sent = peer.requests[1]["body"]["messages"]
    assert sent[1]["thinking_blocks"] == [{"type": "thinking", "thinking": "let me see", "signature": "sig-from-anthropic"}]


async def test_llama_cpp_timings_are_shown_as_the_servers_own_speeds():
    async def llama_server(request):
        response = await sse_head(request)
        await response.write(frame({"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}], "timings": {"prompt_per_second": 812.5, "predicted_per_second": 41.25, "cache_n": 17}}))
        await response.write(b"data: [DONE]\n\n")
        return response

    async with http_peer(llama_server) as peer:
        [events] = await run_turns(peer.url, "llamacpp/any", ["hi"])
    assert ServerTimings(812.5, 41.25, 17) in events


async def test_the_litellm_cost_header_alone_is_the_turns_cost(tmp_path):
    async def header_only(request):
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream", "x-litellm-response-cost": "0.0123"})
        await response.prepare(request)
        await response.write(frame({"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}))
        await response.write(b"data: [DONE]\n\n")
        return response

    async with http_peer(header_only) as peer:
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("ask", "--jsonl", "-m", "litellm/gpt-x", "--base-url", peer.url + "/v1", "hi"),
            env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert {"type": "cost", "usd": 0.0123, "source": "server", "saved_usd": None} in events, err.decode()


def test_an_empty_signature_delta_is_not_an_event():
    stream = (
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n'
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":""}}\n\n'
        'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    ).encode()
    events = decode_chunks("anthropic", [stream])
    assert not any(isinstance(e, ThinkingSignature) for e in events)


async def test_tokenpapa_sends_its_own_key(monkeypatch):
    monkeypatch.setenv("TOKENPAPA_API_KEY", "tp-test-key")
    async with http_peer(litellm_with_thinking) as peer:
        await run_turns(peer.url, "tokenpapa/deepseek-v4-flash", ["hi"])
    assert peer.requests[0]["headers"]["Authorization"] == "Bearer tp-test-key"
    assert peer.requests[0]["body"]["model"] == "deepseek-v4-flash"


async def test_tokenpapa_shows_cache_hits(loopback, monkeypatch):
    monkeypatch.setenv("TOKENPAPA_API_KEY", "tp-test-key")
    prompt = "a long shared prefix " * 80
    turns = await run_turns(loopback.url, "tokenpapa/echo@0", [prompt, prompt])  # @0: the echo of 320 tokens at once, not over 3 s
    cached = [fold(events).usage.cached_tokens for events in turns]
    assert not cached[0] and cached[1] > 0

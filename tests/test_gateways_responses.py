"""Gateways over OpenAI's Responses API (issue 27): LiteLLM's cost is kept on this wire too, and
`--api responses` / `api = "responses"` switch any OpenAI-compatible provider to it (and refuse,
in one line, a provider with its own API). Each run is a real `rtchat` process against a real
127.0.0.1 peer that records what came over the wire."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from tests.support.env import isolated_env, rtchat_cmd, write_config
from tests.support.peers import http_peer


def frame(payload: dict) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


def litellm_responses(header_cost: str | None = None, usage_cost: float | None = None):
    """LiteLLM's `/v1/responses` stream, as its proxy sends it: the cost inside `usage` (and/or
    in the `x-litellm-response-cost` header)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/event-stream"}
        if header_cost is not None:
            headers["x-litellm-response-cost"] = header_cost
        response = web.StreamResponse(status=200, headers=headers)
        await response.prepare(request)
        await response.write(frame({"type": "response.output_text.delta", "delta": "hello"}))
        usage = {"input_tokens": 9, "output_tokens": 2, "total_tokens": 11}
        if usage_cost is not None:
            usage["cost"] = usage_cost
        done = {"id": "resp_1", "object": "response", "status": "completed", "output": [], "usage": usage}
        await response.write(frame({"type": "response.completed", "response": done}))
        return response

    return handler


async def ask(tmp_path, *args: str) -> tuple[int, list[dict], str]:
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--jsonl", "--no-history", *args, "hi"),
        env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, [json.loads(line) for line in out.decode().splitlines()], err.decode()


async def test_the_responses_wire_keeps_litellms_reported_cost(tmp_path):
    async with http_peer(litellm_responses(usage_cost=0.000024)) as peer:
        code, events, err = await ask(tmp_path, "-m", "litellm/tiny", "--api", "responses", "--base-url", peer.url + "/v1")
    assert code == 0, err
    assert [r["path"] for r in peer.requests] == ["/v1/responses"], "--api responses is honoured for LiteLLM"
    assert {"type": "cost", "usd": 0.000024, "source": "server", "saved_usd": None} in events, err


async def test_the_cost_header_alone_is_the_responses_turns_cost(tmp_path):
    async with http_peer(litellm_responses(header_cost="0.0123")) as peer:
        code, events, err = await ask(tmp_path, "-m", "vllm/tiny", "--api", "responses", "--base-url", peer.url + "/v1")
    assert code == 0, err
    assert peer.requests[0]["path"] == "/v1/responses"
    assert peer.requests[0]["body"]["input"], "a Responses body (input, not messages) went over the wire"
    assert {"type": "cost", "usd": 0.0123, "source": "server", "saved_usd": None} in events, err


async def test_api_responses_in_the_config_switches_a_gateway(tmp_path):
    write_config(tmp_path, '[providers.litellm]\napi = "responses"\n')
    async with http_peer(litellm_responses(usage_cost=0.5)) as peer:
        code, events, err = await ask(tmp_path, "-m", "litellm/tiny", "--base-url", peer.url + "/v1")
        assert code == 0, err
        code, _, err = await ask(tmp_path, "-m", "litellm/tiny", "--api", "chat", "--base-url", peer.url + "/v1")
    paths = [r["path"] for r in peer.requests]
    assert paths[0] == "/v1/responses"
    assert set(paths[1:]) == {"/v1/chat/completions"}, "the flag wins over the config"
    assert {"type": "cost", "usd": 0.5, "source": "server", "saved_usd": None} in events


async def test_api_responses_for_a_provider_with_its_own_api_is_refused_in_one_line(tmp_path):
    async with http_peer(litellm_responses()) as peer:
        code, events, err = await ask(tmp_path, "-m", "anthropic/claude-x", "--api", "responses", "--base-url", peer.url)
    assert code == 2
    assert peer.requests == [], "nothing was sent"
    assert events == []
    assert err.count("\n") == 1 and "'anthropic'" in err and "OpenAI-compatible" in err, err


async def test_api_responses_in_the_config_of_gemini_is_a_config_error(tmp_path):
    write_config(tmp_path, '[providers.gemini]\napi = "responses"\n')
    code, _, err = await ask(tmp_path, "-m", "gemini/gemini-x")
    assert code == 2
    assert "[providers.gemini]" in err and "OpenAI-compatible" in err, err


async def test_the_responses_cost_is_stored_with_the_answer(tmp_path):
    """Issue 27: the cost was shown nowhere and stored nowhere; now `rtchat history` reads it back."""
    async with http_peer(litellm_responses(usage_cost=0.000024)) as peer:
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("ask", "-m", "litellm/tiny", "--api", "responses", "--base-url", peer.url + "/v1", "hi"),
            env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    listed = await asyncio.create_subprocess_exec(*rtchat_cmd("history", "--json"), env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(listed.communicate(), 60)
    [conversation] = json.loads(out)
    assert conversation["cost_usd"] == 0.000024 and conversation["cost_unknown_answers"] == 0

"""Hostile HTTP servers, round two (issue 12): every turn ends, no answer is thrown away,
error bodies of every shape read as one line, and no key leaves home in any message.

Each server is a tiny real peer on 127.0.0.1 (tests/support/peers.py)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from urllib.parse import quote

import pytest
from aiohttp import web

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import Conversation
from rtchat.errors import server_message, shorten
from rtchat.events import Done, Notice, TextDelta
from rtchat.session import Session
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.peers import http_peer, sse_head
from tests.support.turns import errors_of, run_turn, text_of

pytestmark = pytest.mark.usefixtures("isolated")

CANARY = "sk-canary-hostile-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def session_with(**network) -> Session:
    config = load_config()
    config.network = replace(NetworkSettings(), **network)
    return Session(config)


async def ask(peer_url: str, ref: str = "openai/gpt-x", suffix: str = "/v1", **network) -> tuple[list, object]:
    session = session_with(**network)
    try:
        target = await session.resolve(ref, peer_url + suffix)
        return await run_turn(session, target, Conversation(), "hi", keep=False)
    finally:
        await session.aclose()


def chunk(text: str) -> bytes:
    return f'data: {json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]})}\n\n'.encode()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)


# ---------------------------------------------------------------- every turn ends


async def test_a_one_byte_drip_ends_at_the_stall_timeout_with_the_partial_kept(key):
    async def drip(request):
        response = await sse_head(request)
        await response.write(chunk("kept "))
        for _ in range(200):  # a byte a tenth of a second: never a whole event
            await response.write(b":")
            await asyncio.sleep(0.1)  # the drip itself is the scenario
        return response

    async with http_peer(drip) as peer:
        events, _ = await ask(peer.url, stall_timeout=1.0)
    [error] = errors_of(events)
    assert error.kind == "timeout" and "stall" in error.message and "partial answer is kept" in error.message
    assert text_of(events) == "kept " and events[-1] == Done("error")
    assert len(peer.requests) == 1, "a stall after the first token is never retried"


async def test_keepalive_comments_alone_meet_the_first_token_deadline(key):
    async def patient(request):
        response = await sse_head(request)
        for _ in range(100):
            await response.write(b": keep-alive\n\n")
            await asyncio.sleep(0.05)  # the keep-alive cadence is the scenario
        return response

    async with http_peer(patient) as peer:
        events, _ = await ask(peer.url, stall_timeout=30.0, first_token_timeout=0.5, retries=1)
    [error] = errors_of(events)
    assert error.kind == "timeout" and "first-token deadline" in error.message


async def test_the_total_deadline_ends_a_slow_answer_and_keeps_it(key):
    async def slow(request):
        response = await sse_head(request)
        for index in range(100):
            await response.write(chunk(f"w{index} "))
            await asyncio.sleep(0.05)  # a slow but steady model is the scenario
        return response

    async with http_peer(slow) as peer:
        events, _ = await ask(peer.url, total_timeout=0.6)
    [error] = errors_of(events)
    assert "total deadline" in error.message and "partial answer is kept" in error.message
    assert text_of(events).startswith("w0 w1 ")


async def test_ctrl_c_still_stops_a_dripping_turn(key):
    started = asyncio.Event()

    async def drip(request):
        response = await sse_head(request)
        await response.write(chunk("a "))
        started.set()
        for _ in range(600):
            await response.write(b":")
            await asyncio.sleep(0.05)  # the drip itself is the scenario
        return response

    async with http_peer(drip) as peer:
        session = session_with(stall_timeout=60.0)
        try:
            target = await session.resolve("openai/gpt-x", peer.url + "/v1")
            conversation = Conversation()
            conversation.add_user("hi")
            turn = session.turn(target, conversation)
            events = []
            async for event in turn.events():
                events.append(event)
                if isinstance(event, TextDelta):
                    turn.cancel()
        finally:
            await session.aclose()
    assert events[-1] == Done("interrupted") and text_of(events) == "a "


# ---------------------------------------------------------------- a 200 that is not an event stream


async def test_a_whole_json_answer_is_read_as_the_answer_and_not_retried(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    whole = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "thinking", "thinking": "hm", "signature": "sig"}, {"type": "text", "text": "the whole answer"}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 5, "output_tokens": 7},
    }

    async def litellm_like(request):
        return web.json_response(whole)

    async with http_peer(litellm_like) as peer:
        events, _ = await ask(peer.url, "anthropic/claude-x", suffix="")
    assert text_of(events) == "the whole answer" and events[-1] == Done("complete")
    assert not errors_of(events) and len(peer.requests) == 1


async def test_a_whole_chat_completion_is_read_as_the_answer(key):
    async def plain_json(request):
        return web.json_response({"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello whole"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}})

    async with http_peer(plain_json) as peer:
        events, _ = await ask(peer.url)
    assert text_of(events) == "hello whole" and events[-1] == Done("complete") and len(peer.requests) == 1


async def test_an_html_page_is_one_clear_line_and_not_retried(key):
    async def portal(request):
        return web.Response(text="<!doctype html><html><title>Sign in</title></html>", content_type="text/html")

    async with http_peer(portal) as peer:
        events, _ = await ask(peer.url)
    [error] = errors_of(events)
    assert "HTML page" in error.message and "login or proxy" in error.message
    assert len(peer.requests) == 1


async def test_plain_text_that_is_no_stream_is_one_line_and_not_retried(key):
    async def teapot(request):
        return web.Response(text="I am a teapot, not a model", content_type="text/plain")

    async with http_peer(teapot) as peer:
        events, _ = await ask(peer.url)
    [error] = errors_of(events)
    assert "text/plain and no event stream" in error.message and "teapot" in error.message
    assert len(peer.requests) == 1


# ---------------------------------------------------------------- error bodies and whose fault


@pytest.mark.parametrize("body,content_type,expected", [
    ('{"detail": "Model not loaded"}', "application/json", "Model not loaded"),
    ('{"detail": [{"loc": ["body"], "msg": "field required"}]}', "application/json", "field required"),
    ('data: {"error": {"message": "overloaded upstream"}}\n\n', "text/event-stream", "overloaded upstream"),
    ("upstream connect error", "text/plain", "upstream connect error"),
    ("<html><head><title>502 Bad Gateway</title></head></html>", "text/html", "an HTML page (502 Bad Gateway)"),
])
async def test_error_bodies_of_every_common_shape_read_as_one_line(key, body, content_type, expected):
    async def refuse(request):
        return web.Response(status=422, text=body, content_type=content_type)

    async with http_peer(refuse) as peer:
        events, _ = await ask(peer.url)
    [error] = errors_of(events)
    assert expected in error.message and "{" not in error.message.split(":", 1)[1]


def test_long_messages_are_cut_at_a_word_with_an_ellipsis():
    text = " ".join(["word"] * 200)
    cut = shorten(text, 50)
    assert cut.endswith("…") and len(cut) <= 50 and cut[:-1].split(" ")[-1] == "word"
    assert server_message(json.dumps({"error": {"message": text}}).encode()).endswith("…")


async def test_a_gateways_unknown_model_is_not_found_with_a_pointer():
    async def litellm(request):
        return web.json_response({"error": {"message": "Invalid model name passed in model=gpt-x", "type": "invalid_request_error"}}, status=400)

    async with http_peer(litellm) as peer:
        events, _ = await ask(peer.url, "ollama/gpt-x")
    [error] = errors_of(events)
    assert error.kind == "not_found" and "rtchat models --provider ollama" in error.message


async def test_a_gateway_relaying_its_upstreams_auth_failure_says_so(key):
    async def relay(request):
        return web.json_response({"error": {"message": "litellm.AuthenticationError: AnthropicException - invalid x-api-key"}}, status=401)

    async with http_peer(relay) as peer:
        events, _ = await ask(peer.url)
    [error] = errors_of(events)
    assert "upstream provider refused" in error.message and "was rejected" not in error.message


async def test_connection_errors_name_host_and_port(key):
    async with http_peer(lambda request: None) as peer:
        port = peer.url.rsplit(":", 1)[1]
    events, _ = await ask(f"http://127.0.0.1:{port}", retries=2, max_retry_wait=5.0)  # the peer is gone: nothing listens there
    [error] = errors_of(events)
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert f"127.0.0.1:{port}" in error.message
    assert notices == [f"could not connect to 127.0.0.1:{port}; retrying in 1.0 s (try 2 of 2)"]


# ---------------------------------------------------------------- keys never leave in a message


@pytest.mark.parametrize("status", [400, 401, 404, 500])
async def test_error_bodies_that_echo_the_key_are_redacted_everywhere(tmp_path, status):
    async def echo_key(request):
        auth = request.headers.get("Authorization", "")
        message = f"You sent {auth!s} (also {quote(CANARY, safe='')})"
        return web.json_response({"error": {"message": message}}, status=status)

    async with http_peer(echo_key) as peer:
        for jsonl in ((), ("--jsonl",)):
            env = isolated_env(tmp_path, OPENAI_API_KEY=CANARY, RTCHAT_CONFIG_DIR=str(tmp_path / "config"))
            (tmp_path / "config").mkdir(exist_ok=True)
            (tmp_path / "config" / "config.toml").write_text("[network]\nmax_retry_wait = 0.1\nretries = 1\n")
            process = await asyncio.create_subprocess_exec(
                *rtchat_cmd("ask", *jsonl, "--base-url", peer.url + "/v1", "-m", "openai/gpt-x", "hi"),
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 1
            assert CANARY.encode() not in out + err and b"[redacted]" in out + err
    assert peer.requests[0]["headers"]["Authorization"] == f"Bearer {CANARY}", "the key did go to its own provider"
    leaked = [path for path in tmp_path.rglob("*") if path.is_file() and CANARY.encode() in path.read_bytes()]
    assert leaked == [], "the history and logs hold no key"


async def test_the_model_list_does_not_follow_a_redirect_with_the_key(tmp_path):
    async def elsewhere(request):
        return web.json_response({"data": [{"id": "stolen"}]})

    async with http_peer(elsewhere) as thief:
        async def redirect(request):
            raise web.HTTPTemporaryRedirect(thief.url + "/v1/models")

        async with http_peer(redirect) as peer:
            config = tmp_path / "config"
            config.mkdir()
            (config / "config.toml").write_text(f'[providers.openai]\nbase_url = "{peer.url}/v1"\n')
            process = await asyncio.create_subprocess_exec(
                *rtchat_cmd("models", "--provider", "openai", "--refresh"),
                env=isolated_env(tmp_path, OPENAI_API_KEY=CANARY), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), 60)
    assert thief.requests == [], "the key went nowhere but its own provider"
    assert f"redirected the model list to {thief.url}/v1/models" in err.decode()
    assert CANARY.encode() not in out + err


@pytest.mark.parametrize("ending", ["error frame", "close reason"])
async def test_socket_error_frames_and_close_reasons_that_echo_the_key_are_redacted(tmp_path, ending):
    from websockets.asyncio.server import serve

    async def hostile(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {"type": "realtime", "object": "realtime.session"}}))
        async for frame in ws:
            if json.loads(frame).get("type") == "response.create":
                if ending == "error frame":
                    await ws.send(json.dumps({"type": "error", "error": {"type": "invalid_request_error", "code": "bad", "message": f"key {CANARY} rejected"}}))
                    await ws.send(json.dumps({"type": "response.done", "response": {"status": "failed", "status_details": {"error": {"message": f"again {CANARY}"}}}}))
                else:
                    await ws.close(1008, f"bad key {CANARY[:60]}")

    async with serve(hostile, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("ask", "--jsonl", "--protocol", "websocket", "-m", "openai/gpt-realtime", "--base-url", f"http://127.0.0.1:{port}/v1", "hi"),
            env=isolated_env(tmp_path, OPENAI_API_KEY=CANARY[:60]), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert b"[redacted]" in out and CANARY[:60].encode() not in out + err
    leaked = [path for path in tmp_path.rglob("*") if path.is_file() and CANARY[:60].encode() in path.read_bytes()]
    assert leaked == []

"""The OpenAI Responses API in WebSocket mode, end to end against the loopback's
`/v1/responses` socket: rtchat's client (rtchat/live/responses.py) on one side,
the loopback's SSE event generation framed as WebSocket messages on the other."""

from __future__ import annotations

import asyncio
import json
import subprocess
from dataclasses import replace

import websockets

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import Conversation
from rtchat.events import Usage
from rtchat.session import Session
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.turns import done_of, errors_of, text_of
from tests.support.wait import until
from tests.support.ws import ask


def openai_session(loopback, api: str = "openai_chat") -> Session:
    """The openai provider pointed at the loopback with a fake key (wire: Chat or Responses over HTTP)."""
    config = load_config()
    config.network = replace(NetworkSettings(), retries=2)
    openai = config.catalog.providers["openai"]
    config.catalog.providers["openai"] = replace(openai, base_url=loopback.url + "/v1", wire=api, key_env=("RTCHAT_TEST_OPENAI_KEY",))
    return Session(config)


async def test_the_socket_streams_the_same_events_as_sse(loopback):
    """Raw protocol: one response.create, the SSE route's event types in the same order."""
    body = {"model": "echo", "input": [{"role": "user", "content": "hello there"}], "reasoning": {"effort": "low", "summary": "auto"}}
    async with websockets.connect(loopback.url.replace("http", "ws") + "/v1/responses") as socket:
        await socket.send(json.dumps({"type": "response.create", **body}))
        frames = []
        while not frames or frames[-1]["type"] not in ("response.completed", "response.failed", "error"):
            frames.append(json.loads(await socket.recv()))
    import httpx

    async with httpx.AsyncClient() as client, client.stream("POST", loopback.url + "/v1/responses", json={**body, "stream": True}) as response:
        sse = [json.loads(line[6:]) async for line in response.aiter_lines() if line.startswith("data: ")]
    assert [f["type"] for f in frames] == [e["type"] for e in sse]
    assert [f["sequence_number"] for f in frames] == list(range(len(frames)))
    text = "".join(f["delta"] for f in frames if f["type"] == "response.output_text.delta")
    assert text == "".join(e["delta"] for e in sse if e["type"] == "response.output_text.delta") and "hello there" in text


async def test_a_text_turn(isolated, loopback, monkeypatch):
    monkeypatch.setenv("RTCHAT_TEST_OPENAI_KEY", "sk-fake")
    session = openai_session(loopback)
    try:
        target = await session.resolve("openai/echo")
        events, turn = await ask(session, target, Conversation(system="be brief"), "hello there")
    finally:
        await session.aclose()
    assert done_of(events) == "complete" and "hello there" in text_of(events)
    assert any(isinstance(e, Usage) and e.input_tokens for e in events)
    [record] = loopback.records
    assert record.wire == "openai_responses_ws" and record.outcome == "complete"
    assert record.request_json["instructions"] == "be brief" and "type" not in record.request_json
    assert turn.clock.connect_ms > 0


async def test_two_turns_share_one_socket_and_carry_the_history(isolated, loopback, monkeypatch):
    monkeypatch.setenv("RTCHAT_TEST_OPENAI_KEY", "sk-fake")
    session = openai_session(loopback, api="openai_responses")
    try:
        target = await session.resolve("openai/echo")
        conversation = Conversation()
        first, _ = await ask(session, target, conversation, "one")
        second, turn = await ask(session, target, conversation, "two")
    finally:
        await session.aclose()
    assert done_of(first) == done_of(second) == "complete"
    assert "(turn 2)" in text_of(second) and turn.clock.connect_ms == 0
    [connection] = loopback.connections
    assert connection.wire == "openai_responses_ws" and connection.responses == 2
    roles = [item["role"] for item in loopback.records[-1].request_json["input"]]
    assert roles == ["user", "assistant", "user"]  # the full input every time: the socket keeps no state


async def test_an_interrupt_closes_the_socket_and_the_next_turn_reconnects(isolated, loopback, monkeypatch):
    monkeypatch.setenv("RTCHAT_TEST_OPENAI_KEY", "sk-fake")
    session = openai_session(loopback)
    try:
        target = await session.resolve("openai/echo@rate=40")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "talk " * 40, cancel_after=3)
        await until(lambda: loopback.records[0].outcome != "streaming")  # the loopback sees the close and stops generating
        stopped = loopback.records[0]
        again, turn = await ask(session, target, conversation, "again")
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted" and text_of(events)
    assert stopped.outcome == "disconnected" and stopped.tokens_sent < 30
    assert done_of(again) == "complete" and turn.clock.connect_ms > 0
    assert len(loopback.connections) == 2 and loopback.connections[0].closed is not None
    assert loopback.records[1].request_json["input"][1]["role"] == "assistant"  # the partial answer, as shown


async def test_error_frames_end_the_turn_and_keep_the_socket(isolated, loopback, monkeypatch):
    monkeypatch.setenv("RTCHAT_TEST_OPENAI_KEY", "sk-fake")
    session = openai_session(loopback)
    try:
        conversation = Conversation()
        midstream, _ = await ask(session, await session.resolve("openai/fault-error-frame"), conversation, "one")
        unknown, _ = await ask(session, await session.resolve("openai/gpt-5"), Conversation(), "hi")
        refused, _ = await ask(session, await session.resolve("openai/fault-401"), Conversation(), "hi")
        after, _ = await ask(session, await session.resolve("openai/fault-error-frame"), conversation, "two")
    finally:
        await session.aclose()
    [error] = errors_of(midstream)
    assert done_of(midstream) == "error" and "fault-error" in error.message and text_of(midstream)
    [missing] = errors_of(unknown)
    assert done_of(unknown) == "error" and "gpt-5" in missing.message and "does not exist" in missing.message
    [auth] = errors_of(refused)
    assert done_of(refused) == "error" and auth.kind == "auth" and "sk-fake" not in auth.message
    assert done_of(after) == "error"
    assert [c.responses for c in loopback.connections] == [2, 1, 1]  # an error frame leaves the socket open


async def test_one_response_at_a_time_per_socket(loopback):
    async with websockets.connect(loopback.url.replace("http", "ws") + "/v1/responses") as socket:
        create = {"type": "response.create", "model": "lorem@rate=100", "input": "go"}
        await socket.send(json.dumps(create))
        await socket.send(json.dumps(create))
        frames = []
        while not any(f["type"] == "error" for f in frames):
            frames.append(json.loads(await socket.recv()))
    assert frames[-1]["error"]["code"] == "response_already_in_flight"
    assert loopback.connections[0].responses == 1


def run_ask(tmp_path, loopback_url: str, model: str, config: str = "") -> subprocess.CompletedProcess:
    env = isolated_env(tmp_path, OPENAI_API_KEY="sk-fake-for-loopback")
    if config:
        (tmp_path / "config").mkdir(exist_ok=True)
        (tmp_path / "config" / "config.toml").write_text(config)
    command = rtchat_cmd("ask", "-m", model, "--protocol", "websocket", "--base-url", loopback_url + "/v1", "--jsonl", "hello socket")
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=30)


async def test_ask_over_the_responses_socket(tmp_path, loopback):
    """`rtchat ask` with the openai provider: the default WS wire, then `api = "responses"`."""
    for folder, config in (("default", ""), ("responses", '[providers.openai]\napi = "responses"\n')):
        (tmp_path / folder).mkdir()
        result = await asyncio.to_thread(run_ask, tmp_path / folder, loopback.url, "openai/echo", config)
        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert "hello socket" in "".join(line.get("text", "") for line in lines if line["type"] == "text")
        assert lines[-1] == {"type": "done", "reason": "complete"}
        assert "sk-fake" not in result.stdout + result.stderr
    assert [c.wire for c in loopback.connections] == ["openai_responses_ws"] * 2
    result = await asyncio.to_thread(run_ask, tmp_path / "default", loopback.url, "openai/gpt-5")
    [error] = [json.loads(line) for line in result.stdout.splitlines() if '"error"' in line and '"message"' in line]
    assert result.returncode == 1 and "'gpt-5' (404)" in error["message"] and "does not exist" in error["message"]


async def test_the_official_sdk_reads_the_loopback_socket(loopback):
    """The openai SDK's own Responses WebSocket client parses every event into its types."""
    import openai  # a test dependency, at a version with the Responses WebSocket client

    client = openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="sk-fake")
    ends: list = []
    text = ""
    async with client.responses.connect() as connection:
        for model in ("echo", "gpt-5"):
            await connection.send({"type": "response.create", "model": model, "input": "hi sdk"})
            async for event in connection:
                if event.type == "response.output_text.delta":
                    text += event.delta
                if event.type in ("response.completed", "response.failed", "error"):
                    ends.append(event)
                    break
    completed, error = ends
    assert completed.type == "response.completed" and completed.response.usage.output_tokens > 0 and "hi sdk" in text
    assert error.type == "error" and error.status == 404 and error.error.code == "model_not_found"


async def test_an_edited_history_keeps_the_socket(isolated, loopback, monkeypatch):
    """Every turn carries the whole input, so a retried or edited turn reuses the socket."""
    monkeypatch.setenv("RTCHAT_TEST_OPENAI_KEY", "sk-fake")
    session = openai_session(loopback)
    try:
        target = await session.resolve("openai/echo")
        conversation = Conversation()
        await ask(session, target, conversation, "one")
        await ask(session, target, conversation, "two")
        conversation.messages[0] = replace(conversation.messages[0], text="one, edited")  # /edit of an old message
        events, turn = await ask(session, target, conversation, "three")
    finally:
        await session.aclose()
    assert done_of(events) == "complete" and turn.clock.connect_ms == 0
    assert len(loopback.connections) == 1
    assert [item["content"] for item in loopback.records[-1].request_json["input"]][::2] == ["one, edited", "two", "three"]

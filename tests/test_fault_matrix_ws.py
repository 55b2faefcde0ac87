"""Fault matrix rows for WebSocket not covered by test_ws_*.py (see docs/faults.md)."""

from __future__ import annotations

import socket

from rtchat.conversation import Conversation
from tests.support.dns import unresolvable
from tests.support.ws import ask, make_session


def errors(events):
    return [e for e in events if e.type == "error"]


async def test_connection_refused_is_retried_then_explained(isolated):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = make_session(retries=2)
    try:
        target = await session.resolve("loopback/echo", f"http://127.0.0.1:{port}/v1")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "hello?")
    finally:
        await session.aclose()
    assert any(e.type == "notice" and "retrying" in e.text for e in events)
    [error] = errors(events)
    assert error.kind == "connection" and "127.0.0.1" in error.message
    assert conversation.messages[-1].text == "hello?", "the prompt is kept"


async def test_dns_failure_is_explained(isolated, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dns")
    lookups = unresolvable(monkeypatch, "no-such-host.invalid")  # the resolver fails the name; no real lookup
    session = make_session(retries=1)
    try:
        target = await session.resolve("openai/gpt-realtime", "https://no-such-host.invalid/v1")
        events, _ = await ask(session, target, Conversation(), "hi")
    finally:
        await session.aclose()
    [error] = errors(events)
    assert error.kind == "connection" and "no-such-host.invalid" in error.message and "sk-test-dns" not in error.message
    assert "no-such-host.invalid" in lookups


async def test_a_normal_close_1000_is_explained_and_the_next_turn_reopens(isolated):
    """A bare peer (not the loopback) that closes with 1000 as soon as an answer is asked for."""
    import json

    from websockets.asyncio.server import serve

    opened = []

    async def handler(ws):
        opened.append(ws)
        await ws.send(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
        async for frame in ws:
            if json.loads(frame).get("type") == "response.create":
                await ws.close(1000, "bye")

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        session = make_session(retries=1)
        try:
            target = await session.resolve("loopback/echo", f"http://127.0.0.1:{port}/v1")
            conversation = Conversation()
            events, _ = await ask(session, target, conversation, "one")
            [error] = errors(events)
            assert "1000" in error.message and "normally" in error.message
            events, _ = await ask(session, target, conversation, "two")
        finally:
            await session.aclose()
    assert len(opened) == 2, "the next turn opened a new socket"

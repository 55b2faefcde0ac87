"""No WebSocket upgrade follows a redirect (text turns and voice alike), and a
frame over the size cap is worded as too large (1009), not as a dropped line.

websockets' own client follows a 3xx and strips only Authorization and Cookie,
so an `x-goog-api-key` header would go wherever the redirect pointed. The peers
here are tiny local servers on 127.0.0.1: one answers every upgrade with a 307,
the other only records whoever connects to it.
"""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.server import serve

from rtchat.config import NetworkSettings
from rtchat.conversation import Conversation
from rtchat.transports.websocket import MAX_FRAME
from rtchat.voice.links import GeminiLiveLink, RealtimeSocketLink
from tests.support.turns import errors_of
from tests.support.voice import voice_target
from tests.support.ws import ask, make_session

KEY = "gk-redirect-secret-1234"


class Peer:
    """A raw TCP server: records what each connection sent; `answer` (if any) is the reply."""

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        self.received.append(request)
        if self.answer is not None:
            writer.write(self.answer)
            await writer.drain()
        writer.close()


@asynccontextmanager
async def redirecting(location_for) -> AsyncIterator[tuple[Peer, Peer]]:
    """(redirector, elsewhere): the first answers 307 with `location_for(elsewhere.port)`."""
    elsewhere = Peer(None)
    other = await asyncio.start_server(elsewhere.handle, "127.0.0.1", 0)
    elsewhere.port = other.sockets[0].getsockname()[1]
    location = location_for(elsewhere.port)
    redirector = Peer(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    server = await asyncio.start_server(redirector.handle, "127.0.0.1", 0)
    redirector.port = server.sockets[0].getsockname()[1]
    try:
        async with server, other:
            yield redirector, elsewhere
    finally:
        server.close()
        other.close()


def to_ws(port: int) -> str:
    return f"ws://127.0.0.1:{port}/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"


async def test_a_text_turn_never_follows_a_redirect_and_the_key_stays_home(isolated, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    async with redirecting(to_ws) as (redirector, elsewhere):
        session = make_session(types.SimpleNamespace(url=f"http://127.0.0.1:{redirector.port}"), retries=1)
        try:
            target = await session.resolve("gemini/echo")
            events, _ = await ask(session, target, Conversation(), "hello")
        finally:
            await session.aclose()
    [error] = errors_of(events)
    assert error.kind == "redirect"
    assert f"redirected the WebSocket to ws://127.0.0.1:{elsewhere.port}/" in error.message
    assert "rtchat does not follow redirects, so your key stays with 127.0.0.1" in error.message
    assert KEY.encode() in redirector.received[0], "the key went only where it was configured to go"
    assert elsewhere.received == [], "the redirect target was never contacted"


@pytest.mark.parametrize(("link_class", "provider"), [(GeminiLiveLink, "gemini"), (RealtimeSocketLink, "loopback")])
async def test_a_voice_socket_never_follows_a_redirect(link_class, provider):
    async with redirecting(to_ws) as (redirector, elsewhere):
        link = link_class(voice_target(f"http://127.0.0.1:{redirector.port}/v1", "echo", KEY, provider), NetworkSettings(connect_timeout=5.0))
        with pytest.raises(ConnectionError) as raised:
            await link.connect()
        await link.close()
    message = str(raised.value)
    assert f"redirected the WebSocket to ws://127.0.0.1:{elsewhere.port}/" in message and "does not follow redirects" in message
    assert KEY not in message
    assert elsewhere.received == []


async def test_a_redirect_to_http_says_it_is_not_a_websocket_address():
    async with redirecting(lambda port: f"http://127.0.0.1:{port}/login") as (redirector, elsewhere):
        link = GeminiLiveLink(voice_target(f"http://127.0.0.1:{redirector.port}", "echo", KEY, "gemini"), NetworkSettings(connect_timeout=5.0))
        with pytest.raises(ConnectionError) as raised:
            await link.connect()
        await link.close()
    assert f"redirected the WebSocket to http://127.0.0.1:{elsewhere.port}/login, which is not a WebSocket address" in str(raised.value)
    assert elsewhere.received == []


async def test_a_frame_over_the_size_cap_is_too_large_1009_not_a_drop(isolated):
    """A bare Realtime peer that answers with one frame a byte over the cap."""

    async def handler(ws):
        await ws.send(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
        async for frame in ws:
            if json.loads(frame).get("type") == "response.create":
                await ws.send("x" * (MAX_FRAME + 1))
                await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        session = make_session(retries=1)
        try:
            target = await session.resolve("loopback/echo", f"http://127.0.0.1:{port}/v1")
            events, _ = await ask(session, target, Conversation(), "big")
        finally:
            await session.aclose()
    [error] = errors_of(events)
    assert "too large" in error.message and "(1009)" in error.message and "1006" not in error.message, error.message

"""Tiny hostile WebSocket peers on 127.0.0.1: every upgrade is handed to one coroutine.

For dialects the loopback would never speak (pings instead of answers, two
responses interleaved, an end before a beginning)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import WSMsgType, web

SocketHandler = Callable[[web.WebSocketResponse], Awaitable[None]]


class SocketPeer:
    def __init__(self, handler: SocketHandler) -> None:
        self.handler = handler
        self.received: list[dict] = []  # every JSON message a client sent
        self.opened = 0
        self.url = ""

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.opened += 1
        with contextlib.suppress(ConnectionError):
            await self.handler(socket)
        await socket.close()
        return socket

    async def next_message(self, socket: web.WebSocketResponse) -> dict | None:
        """The client's next JSON message (recorded), or None when it left."""
        message = await socket.receive()
        if message.type != WSMsgType.TEXT:
            return None
        payload = json.loads(message.data)
        self.received.append(payload)
        return payload


@contextlib.asynccontextmanager
async def socket_peer(handler: SocketHandler) -> AsyncIterator[SocketPeer]:
    """A WebSocket server on every path; `peer.url` is its base (`http://127.0.0.1:PORT`)."""
    peer = SocketPeer(handler)
    app = web.Application()
    app.router.add_get("/{tail:.*}", peer._handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    peer.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield peer
    finally:
        await runner.cleanup()

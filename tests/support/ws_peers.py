"""Tiny hostile WebSocket peers on 127.0.0.1: every upgrade is handed to one coroutine.

For dialects the loopback would never speak (pings instead of answers, two
responses interleaved, an end before a beginning)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from tests.support.peers import serving

SocketHandler = Callable[[web.WebSocketResponse], Awaitable[None]]


class SocketPeer:
    def __init__(self, handler: SocketHandler) -> None:
        self.handler = handler
        self.url = ""

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        with contextlib.suppress(ConnectionError):
            await self.handler(socket)
        await socket.close()
        return socket


@contextlib.asynccontextmanager
async def socket_peer(handler: SocketHandler) -> AsyncIterator[SocketPeer]:
    """A WebSocket server on every path; `peer.url` is its base (`http://127.0.0.1:PORT`)."""
    peer = SocketPeer(handler)
    app = web.Application()
    app.router.add_get("/{tail:.*}", peer._handle)
    async with serving(app) as peer.url:
        yield peer

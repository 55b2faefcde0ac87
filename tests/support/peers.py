"""Tiny hostile HTTP peers on 127.0.0.1: a server that answers every request with a handler.

Each records the requests it saw, so a test can prove what rtchat sent (or did
not send, or did not retry)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Peer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[dict] = []  # headers and JSON body of each request
        self.url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": body})
        return await self.handler(request)


@contextlib.asynccontextmanager
async def http_peer(handler: Handler) -> AsyncIterator[Peer]:
    """A server for every path and method; `peer.url` is its base (`http://127.0.0.1:PORT`)."""
    peer = Peer(handler)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", peer._handle)
    async with serving(app) as peer.url:
        yield peer


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on an ephemeral 127.0.0.1 port; yields its base URL (`http://127.0.0.1:PORT`)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def sse_head(request: web.Request, content_type: str = "text/event-stream") -> web.StreamResponse:
    """Start a 200 streaming response (headers sent) that the caller then writes into."""
    response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
    await response.prepare(request)
    return response

"""Gemini Live over WebSocket on the loopback, at the real BidiGenerateContent path.

Only the socket lives here; the conversation is `LiveServerSession`. Like the
real service, the key may come as `?key=` or `x-goog-api-key` and is ignored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from rtchat.wire.gemini_live import PATH

from .gemini_live_session import LiveServerSession, clock

if TYPE_CHECKING:
    from .exchange import LoopbackState


def register(app: web.Application, state: LoopbackState) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve_live(request, state)

    app.router.add_get(PATH, handle)


async def serve_live(request: web.Request, state: LoopbackState) -> web.StreamResponse:
    socket = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
    await socket.prepare(request)

    async def send(message: dict) -> None:
        await socket.send_str(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    async def close(code: int, reason: str) -> None:
        session.connection.close_code = code
        await socket.close(code=code, message=reason.encode()[:123])

    session = LiveServerSession(send, state, close, PATH)
    try:
        async for message in socket:
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            try:
                payload = json.loads(message.data)
            except ValueError:
                await close(1007, "Request contains an invalid argument: invalid JSON payload.")
                break
            if not isinstance(payload, dict):
                await close(1007, "Request contains an invalid argument.")
                break
            await session.handle(payload)
    except ConnectionError:
        pass
    finally:
        # Record the end first: a client that drops cancels this handler at the next await.
        session.connection.closed = clock()
        if session.connection.close_code is None:
            session.connection.close_code = socket.close_code
        await session.close()
    return socket

"""OpenAI Realtime over WebSocket (`GET /v1/realtime?model=...`) on the loopback.

Only the socket lives here: frames in, JSON events to the shared
`RealtimeServerSession`, its events out as text frames.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from .openai_chat import error_body
from .realtime_session import RealtimeServerSession, clock
from .scripts import ERROR_STATUS, FAULTS, ModelError, parse_model

if TYPE_CHECKING:
    from .server import LoopbackState

PATH = "/v1/realtime"
HEARTBEAT = None  # the client pings; aiohttp answers pings by itself


def register(app: web.Application, state: LoopbackState) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve_realtime(request, state)

    app.router.add_get(PATH, handle)


def refusal(model: str) -> web.Response | None:
    """An HTTP answer instead of the upgrade: unknown model or a status fault (fault-401)."""
    try:
        spec = parse_model(model)
    except ModelError as problem:
        return web.json_response(error_body(problem.kind, str(problem)), status=ERROR_STATUS.get(problem.kind, 400))
    fault = FAULTS.get(spec.base)
    if fault and fault.status:
        return web.json_response(error_body(fault.kind, f"Incorrect API key provided (the loopback model `{model}` always refuses it)." if fault.kind == "auth" else f"loopback {spec.base}"), status=fault.status)
    return None


async def serve_realtime(request: web.Request, state: LoopbackState) -> web.StreamResponse:
    model = request.query.get("model", "")
    refused = refusal(model)
    if refused is not None:
        return refused
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=16 * 1024 * 1024)
    await socket.prepare(request)

    async def send(event: dict) -> None:
        await socket.send_str(json.dumps(event, ensure_ascii=False, separators=(",", ":")))

    async def close(code: int, reason: str) -> None:
        session.connection.close_code = code
        await socket.close(code=code, message=reason.encode())

    session = RealtimeServerSession(send, model, state, close=close, path=PATH)
    try:
        await session.open()
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                event = json.loads(message.data)
            except ValueError:
                await session.error("invalid_request_error", "invalid_json", "The event is not valid JSON.")
                continue
            await session.handle(event)
    except ConnectionError:
        pass
    finally:
        # Record the end first: a client that drops cancels this handler at the next await.
        session.connection.closed = clock()
        if session.connection.close_code is None:
            session.connection.close_code = socket.close_code
        await session.close()
    return socket

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
from .records import credentials, safe_query
from .scripts import ERROR_STATUS, FAULTS, ModelError, parse_model

if TYPE_CHECKING:
    from .exchange import LoopbackState

PATH = "/v1/realtime"
BETA_PATH = "/beta/v1/realtime"  # a server that speaks only the beta dialect (base_url {loopback}/beta/v1)
AZURE_PATH = "/openai/realtime"  # Azure OpenAI: ?api-version=V&deployment=D, `api-key` header; preview deployments speak beta
HEARTBEAT = None  # the client pings; aiohttp answers pings by itself


def register(app: web.Application, state: LoopbackState) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve_realtime(request, state)

    async def handle_beta(request: web.Request) -> web.StreamResponse:
        return await serve_realtime(request, state, dialect="beta")

    async def handle_azure(request: web.Request) -> web.StreamResponse:
        if "api-version" not in request.query:
            return web.json_response({"error": {"code": "404", "message": "Resource not found"}}, status=404)
        return await serve_realtime(request, state, model=request.query.get("deployment", ""), dialect="beta")

    app.router.add_get(PATH, handle)
    app.router.add_get(BETA_PATH, handle_beta)
    app.router.add_get(AZURE_PATH, handle_azure)


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


async def serve_realtime(request: web.Request, state: LoopbackState, *, model: str | None = None, dialect: str = "ga") -> web.StreamResponse:
    model = request.query.get("model", "") if model is None else model
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

    session = RealtimeServerSession(send, model, state, close=close, path=request.path, dialect=dialect)
    session.connection.auth = credentials(request.headers)
    session.connection.query = safe_query(request.query)
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

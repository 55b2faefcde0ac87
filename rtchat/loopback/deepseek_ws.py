"""The article's DeepSeek V4 WebSocket (`GET /v4/chat`) on the loopback.

Exactly the article's format: `{"type": "chat", "messages", "model", "stream"}`
in, `{"type": "token", "content"}` frames out, then `{"type": "done"}`; a bad
request gets `{"type": "error"}`. No cancel message exists: a client that wants
to stop closes the socket. Fault models misbehave as on the other sockets
(`fault-close-midreply` drops with 1011, `fault-error-midstream` sends an error
frame mid-answer, `fault-401` refuses the upgrade).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from rtchat.wire.deepseek_socket import PATH

from .openai_chat import conversation_of
from .pacing import MIDSTREAM_ERROR, Schedule, fault_position
from .records import ConnectionRecord, RequestRecord, credentials
from .realtime_session import clock
from .scripts import FAULTS, FLOOD_FRAMES, ModelError, parse_model, write_script

if TYPE_CHECKING:
    from .exchange import LoopbackState

WIRE = "deepseek_socket"
ARTICLE_MODELS = {"deepseek-v4-flash": "echo", "deepseek-v4-pro": "echo"}  # the article's ids, answered as echo


def register(app: web.Application, state: LoopbackState) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve(request, state)

    app.router.add_get(PATH, handle)


async def serve(request: web.Request, state: LoopbackState) -> web.StreamResponse:
    if "Authorization" not in request.headers:
        return web.json_response({"error": {"message": "Authentication Fails (no Authorization header)", "type": "authentication_error"}}, status=401)
    socket = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
    await socket.prepare(request)
    connection = ConnectionRecord(PATH, WIRE, opened=clock(), auth=credentials(request.headers))
    state.connections.append(connection)
    index = len(state.connections) - 1

    async def send(payload: dict) -> None:
        await socket.send_str(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    try:
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                body = json.loads(message.data)
            except ValueError:
                await send({"type": "error", "message": "the frame is not valid JSON"})
                continue
            if not isinstance(body, dict) or body.get("type") != "chat" or not isinstance(body.get("messages"), list):
                await send({"type": "error", "message": "expected {\"type\": \"chat\", \"messages\": [...]}"})
                continue
            connection.model = str(body.get("model", ""))
            connection.responses += 1
            if not await answer(body, send, state, index, socket):
                break
    except ConnectionError:
        pass
    finally:
        connection.closed = clock()
        connection.close_code = socket.close_code
    return socket


async def answer(body: dict, send, state: LoopbackState, index: int, socket: web.WebSocketResponse) -> bool:
    """Stream one answer; False when the socket was closed (a fault)."""
    model = str(body.get("model", ""))
    record = RequestRecord(path=PATH, wire=WIRE, model=model, status=200, started=clock(), request_json=body, connection=index)
    state.records.append(record)
    try:
        base, at, options = model.partition("@")
        spec = parse_model(ARTICLE_MODELS.get(base, base) + at + options)
    except ModelError as problem:
        record.outcome = "error"
        await send({"type": "error", "message": str(problem)})
        return True
    conversation = conversation_of([m for m in body["messages"] if isinstance(m, dict)])
    script = write_script(spec.base, conversation, thinking=False)
    fault = FAULTS.get(spec.base)
    if fault is not None and fault.status:
        record.outcome = "error"
        await send({"type": "error", "error": {"type": fault.kind, "message": f"loopback {spec.base}"}})
        return True
    fire_at = fault_position(script, fault)
    pieces = [piece for kind, piece in script.parts if kind != "thinking"]
    schedule = Schedule(spec.rate, spec.ttft, origin=record.started or clock())
    try:
        for position, piece in enumerate(itertools.cycle(pieces) if script.endless else pieces):
            if position == fire_at and fault is not None and fault.action == "flood":
                for number in range(FLOOD_FRAMES):
                    await send({"type": "loopback.flood", "n": number})  # a type rtchat does not know
            elif position == fire_at and fault is not None:
                return await misbehave(fault.action, spec.base, send, record, socket)
            wait = schedule.due(position) - clock()
            if wait > 0:
                await asyncio.sleep(wait)
            await send({"type": "token", "content": piece})
            record.tokens_sent += 1
            if record.first_byte is None:
                record.first_byte = clock()
        await send({"type": "done"})
        record.outcome = "complete"
        return True
    finally:
        if record.ended is None:
            record.ended = clock()
            if record.outcome == "streaming":
                record.outcome = "disconnected"


async def misbehave(action: str | None, base: str, send, record: RequestRecord, socket: web.WebSocketResponse) -> bool:
    record.outcome = "fault"
    if action == "stall":
        await asyncio.Event().wait()
    if action == "malformed":
        await send({"type": "token"})  # no content: shown as nothing, the answer goes on
        await socket.send_str("{not json")
        await send({"type": "done"})
        return True
    if action == "drop":
        await socket.close(code=1011, message=b"internal error (loopback fault-close-midreply)")
        return False
    await send({"type": "error", "message": MIDSTREAM_ERROR.replace("fault-error-midstream", base)})
    return True

"""OpenAI Responses in WebSocket mode (`GET /v1/responses`, upgraded) on the loopback.

The client sends `response.create` frames (the POST body's fields) and gets the
very `response.*` events the SSE route streams, one JSON text frame each: the
events come from the same `ResponsesStream` and the same `compose` (faults
included). One response runs at a time per socket; every turn carries the full
input, so the socket holds no conversation. A client that closes the socket
stops the response (the protocol has no cancel message).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .budget import thinking_budget
from .openai_chat import error_body
from .openai_responses import OpenAIResponses, ResponsesStream
from .pacing import Abort, Action, End, Pause, Schedule, Send, Stall, compose
from .records import ConnectionRecord, RequestRecord
from .scripts import ERROR_STATUS, FAULT_MESSAGES, FAULTS, ModelError, Usage, last_token_due, parse_model, write_script

if TYPE_CHECKING:
    from .exchange import LoopbackState

PATH = "/v1/responses"
WIRE = "openai_responses_ws"
clock = time.monotonic


def register(app: web.Application, state: LoopbackState) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve_responses_socket(request, state)

    app.router.add_get(PATH, handle)


class SocketResponsesStream(ResponsesStream):
    """The SSE stream's events without the SSE framing: each one is a whole text frame."""

    def _event(self, name: str, **fields: Any) -> str:
        payload = {"type": name, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))

    def malformed_frame(self) -> str:
        return '{"type": "response.output_text.delta", "delta": '

    def keepalive(self) -> str:
        return ""  # WebSocket pings keep the socket alive; there is no comment frame


def error_event(kind: str, message: str, status: int | None = None, param: str | None = None) -> dict[str, Any]:
    """A request-level failure (unknown model, refused key): WebSocket mode's `error` event."""
    return {"type": "error", "status": status or ERROR_STATUS.get(kind, 400), **error_body(kind, message, param)}


class ResponsesSocket:
    """One upgraded socket: `response.create` frames in, one streamed response at a time out."""

    def __init__(self, socket: web.WebSocketResponse, request: web.Request, state: LoopbackState) -> None:
        self.socket = socket
        self.request = request
        self.state = state
        self.wire = OpenAIResponses()
        self.connection = ConnectionRecord(PATH, WIRE, opened=clock())
        state.connections.append(self.connection)
        self.index = len(state.connections) - 1
        self.running: asyncio.Task | None = None
        self.gone = asyncio.Event()

    async def send(self, payload: dict[str, Any] | str) -> None:
        await self.socket.send_str(payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    async def on_frame(self, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            return await self.send(error_event("bad_request", "The message is not valid JSON."))
        if not isinstance(event, dict) or event.get("type") != "response.create":
            kind = event.get("type") if isinstance(event, dict) else None
            return await self.send(error_event("bad_request", f"Unsupported event type {kind!r}: send `response.create`."))
        if self.running is not None and not self.running.done():
            error = error_event("bad_request", "A response is already in progress on this connection; wait for it to finish.")
            error["error"]["code"] = "response_already_in_flight"
            return await self.send(error)
        body = {k: v for k, v in event.items() if k != "type"}
        self.running = asyncio.create_task(self.respond(body))

    async def respond(self, body: dict[str, Any]) -> None:
        record = RequestRecord(path=PATH, wire=WIRE, started=clock(), connection=self.index, request_json=body)
        self.state.records.append(record)
        self.connection.responses += 1
        model = body.get("model", "")
        record.model = self.connection.model = model if isinstance(model, str) else str(model)
        try:
            await self._respond(body, record)
        except asyncio.CancelledError:
            if record.outcome == "streaming":
                record.outcome = "disconnected"
            raise
        finally:
            if record.ended is None:
                record.ended = clock()

    async def _respond(self, body: dict[str, Any], record: RequestRecord) -> None:
        try:
            spec = parse_model(record.model)
        except ModelError as problem:
            return await self.refuse(record, problem.kind, str(problem))
        fault = FAULTS.get(spec.base)
        if fault and fault.status and (not fault.once or self.state.first_sight(PATH, body)):
            return await self.refuse(record, fault.kind, FAULT_MESSAGES[fault.kind].format(model=record.model), fault.status)
        problem = self.wire.validate(body)
        if problem:
            return await self.refuse(record, *problem)
        conversation = self.wire.conversation(body)
        if spec.base == "tools":  # only the tools model checks a follow-up against what it sent
            mismatch = self.wire.tool_problem(body, conversation)
            if mismatch:
                return await self.refuse(record, "bad_request", mismatch[0], param=mismatch[1])
        script = write_script(spec.base, conversation, thinking=self.wire.wants_thinking(body), budget=thinking_budget(body))
        usage = Usage(conversation.input_tokens, self.state.prompt_cache.remember(spec.base, conversation, last_token_due(spec, script, record.started or clock())))
        record.status = 200
        stream = SocketResponsesStream(spec.name, body, script, reasons=self.wire.reasons(body))
        schedule = Schedule.for_answer(spec, script, usage.input_tokens, usage.cached_tokens, record.started or clock())
        await self.play(compose(stream, script, fault, usage), schedule, record)

    async def refuse(self, record: RequestRecord, kind: str, message: str, status: int | None = None, param: str | None = None) -> None:
        event = error_event(kind, message, status, param)
        record.status, record.outcome, record.first_byte = event["status"], "error", clock()
        await self.send(event)

    async def play(self, actions: Iterable[Action], schedule: Schedule, record: RequestRecord) -> None:
        """Each event as its own frame, tokens on the model's schedule; records what went out."""
        index = 0
        try:
            for action in actions:
                if isinstance(action, Send):
                    if action.token:
                        wait = schedule.due(index) - clock()
                        index += 1
                        if wait > 0:
                            await asyncio.sleep(wait)
                        record.tokens_sent += 1
                    if action.data:
                        await self.send(action.data)
                        if record.first_byte is None:
                            record.first_byte = clock()
                elif isinstance(action, Pause):
                    await asyncio.sleep(action.seconds)
                    schedule.push_back(action.seconds)
                elif isinstance(action, Stall):
                    await self.gone.wait()
                    record.outcome = "disconnected"
                    return
                elif isinstance(action, Abort):
                    record.outcome = "fault"
                    transport = self.request.transport
                    if transport is not None:
                        transport.abort()
                    return
                elif isinstance(action, End):
                    record.outcome = action.outcome
                    return
        except ConnectionError:
            record.outcome = "disconnected"

    async def close(self) -> None:
        """Record the close first: aiohttp cancels this handler too when the client's TCP goes."""
        self.connection.close_code = self.socket.close_code
        self.connection.closed = clock()
        self.gone.set()
        task = self.running
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def serve_responses_socket(request: web.Request, state: LoopbackState) -> web.StreamResponse:
    socket = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
    await socket.prepare(request)
    session = ResponsesSocket(socket, request, state)
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await session.on_frame(message.data)
    except ConnectionError:
        pass
    finally:
        await session.close()
    return socket

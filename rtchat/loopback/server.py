"""The loopback server: one aiohttp app on a loopback address, a record per model request.

Each wire module registers its own routes through `register(app, exchange)`;
`Exchange` runs the part every wire shares (body, model, faults, prompt cache,
records), so adding a wire format (or a WebSocket route) is one module plus one
line in `WIRE_MODULES`.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import ssl
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from . import (
    anthropic_messages,
    deepseek_ws,
    gemini,
    gemini_live_ws,
    openai_chat,
    openai_responses,
    realtime_ws,
    responses_ws,
    webrtc_peer,
)
from .pacing import (
    KEEPALIVE_COUNT,
    KEEPALIVE_INTERVAL,
    MIDSTREAM_ERROR,
    Renderer,
    Schedule,
    compose,
    play,
    wait_until_gone,
)
from .records import ConnectionRecord, RequestRecord, credentials, safe_query
from .scripts import (
    ERROR_STATUS,
    FAULT_MESSAGES,
    FAULTS,
    MODELS,
    Conversation,
    Fault,
    ModelError,
    ModelSpec,
    Script,
    Usage,
    parse_model,
    write_script,
)

WIRE_MODULES = (openai_chat, anthropic_messages, gemini, openai_responses)
SOCKET_MODULES = (realtime_ws, gemini_live_ws, webrtc_peer, responses_ws, deepseek_ws)  # WebSocket and WebRTC routes: register(app, state)
SHUTDOWN_TIMEOUT = 0.25  # seconds a closing server waits for streams still running
clock = time.monotonic

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}

class PromptCache:
    """Remembers every message-list prefix it has served, like a provider's prompt cache."""

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def remember(self, model: str, conversation: Conversation) -> int:
        """Tokens of the longest prefix seen before; then remembers this request's prefixes."""
        running = hashlib.sha256(model.encode())
        cached = total = 0
        keys = []
        for item, tokens in zip(conversation.prefix_items(), conversation.item_tokens()):
            encoded = item.encode()
            running.update(len(encoded).to_bytes(8, "big") + encoded)
            key = running.digest()
            total += tokens
            if key in self._seen:
                cached = total
            keys.append(key)
        for key in keys:
            self._seen[key] = None
            self._seen.move_to_end(key)
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return cached


class RecentLog(list):
    """A list that keeps only its newest entries: a server left running for days must not grow without end."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def append(self, item: Any) -> None:
        super().append(item)
        if len(self) > self.limit:
            del self[: len(self) - self.limit]


RECORDS_KEPT = 1000


class LoopbackState:
    """Everything one server instance remembers across requests."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = RecentLog(RECORDS_KEPT)
        self.connections: list[ConnectionRecord] = RecentLog(RECORDS_KEPT)  # one per WebSocket (or data channel) session
        self.resumable: dict[str, Any] = {}  # Gemini Live resumption handle -> saved session
        self.prompt_cache = PromptCache()
        self._bodies_seen: set[str] = set()

    def first_sight(self, path: str, body: dict) -> bool:
        """True the first time this exact request (path + body) arrives."""
        canonical = path + "\n" + json.dumps(body, sort_keys=True, separators=(",", ":"))
        key = hashlib.sha256(canonical.encode()).hexdigest()
        if key in self._bodies_seen:
            return False
        self._bodies_seen.add(key)
        return True


class Wire(Protocol):
    """One provider's request and response format (see the wire modules)."""

    name: str

    def model_name(self, request: web.Request, body: dict) -> str: ...
    def wants_stream(self, request: web.Request, body: dict) -> bool: ...
    def wants_thinking(self, body: dict) -> bool: ...
    def validate(self, body: dict) -> tuple[str, str] | None: ...
    def conversation(self, body: dict) -> Conversation: ...
    def error_body(self, kind: str, message: str) -> dict[str, Any]: ...
    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> Renderer: ...
    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]: ...


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Exchange:
    """The request/answer cycle every wire format shares."""

    def __init__(self, state: LoopbackState):
        self.state = state

    def handler(self, wire: Wire) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            record = RequestRecord(path=request.path, wire=wire.name, started=clock(), auth=credentials(request.headers), query=safe_query(request.query))
            self.state.records.append(record)
            try:
                return await self._serve(request, wire, record)
            except asyncio.CancelledError:
                if record.outcome == "streaming":
                    record.outcome = "disconnected"
                raise
            except Exception:
                record.outcome = "error"  # a loopback bug; aiohttp answers 500 if it still can
                record.status = record.status or 500
                raise
            finally:
                if record.ended is None:
                    record.ended = clock()

        return handle

    async def _serve(self, request: web.Request, wire: Wire, record: RequestRecord) -> web.StreamResponse:
        body = await read_json(request)
        if body is None:
            return self._error(wire, record, "bad_request", "We could not parse the JSON body of your request.")
        record.request_json = body
        model = wire.model_name(request, body)
        record.model = model if isinstance(model, str) else str(model)
        try:
            spec = parse_model(model)
        except ModelError as problem:
            return self._error(wire, record, problem.kind, str(problem))
        fault = FAULTS.get(spec.base)
        if fault and fault.status and (not fault.once or self.state.first_sight(request.path, body)):
            message = FAULT_MESSAGES[fault.kind].format(model=model)
            return self._error(wire, record, fault.kind, message, status=fault.status, retry_after=fault.retry_after)
        problem = wire.validate(body)
        if problem:
            return self._error(wire, record, *problem)
        conversation = wire.conversation(body)
        script = write_script(spec.base, conversation, thinking=wire.wants_thinking(body))
        usage = Usage(conversation.input_tokens, self.state.prompt_cache.remember(spec.base, conversation))
        if wire.wants_stream(request, body):
            return await self._stream(request, wire, record, spec, fault, script, usage)
        return await self._whole(request, wire, record, spec, fault, script, usage)

    async def _stream(
        self,
        request: web.Request,
        wire: Wire,
        record: RequestRecord,
        spec: ModelSpec,
        fault: Fault | None,
        script: Script,
        usage: Usage,
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={**SSE_HEADERS, **request_id_headers()})
        record.status = 200
        try:
            await response.prepare(request)
        except ConnectionError:
            record.outcome = "disconnected"
            return response
        renderer = wire.renderer(spec.name, record.request_json, script, usage)
        schedule = Schedule(spec.rate, spec.ttft, origin=record.started or clock())
        await play(request, response, compose(renderer, script, fault, usage), schedule, record)
        return response

    async def _whole(
        self,
        request: web.Request,
        wire: Wire,
        record: RequestRecord,
        spec: ModelSpec,
        fault: Fault | None,
        script: Script,
        usage: Usage,
    ) -> web.StreamResponse:
        """A non-streaming answer: the same faults and pacing, delivered in one body."""
        action = fault.action if fault else None
        if action in ("stall", "stall_first"):
            await wait_until_gone(request)
            record.outcome = "disconnected"
            return web.Response()
        if action == "drop":
            if request.transport is not None:
                request.transport.abort()
            record.outcome = "fault"
            return web.Response()
        if action == "error":
            return self._error(wire, record, "server", MIDSTREAM_ERROR, outcome="fault")
        if action == "keepalive":
            await asyncio.sleep(KEEPALIVE_COUNT * KEEPALIVE_INTERVAL)
        if script.parts:
            schedule = Schedule(spec.rate, spec.ttft, origin=record.started or clock())
            await asyncio.sleep(max(0.0, schedule.due(len(script.parts) - 1) - clock()))
        record.status = 200
        record.first_byte = clock()
        record.tokens_sent = len(script.parts)
        if action == "malformed":
            record.outcome = "fault"
            return web.Response(text='{"choices": [', content_type="application/json")
        record.outcome = "complete"
        full = script.full_usage(usage.input_tokens, usage.cached_tokens)
        return web.json_response(wire.whole(spec.name, record.request_json, script, full), headers=request_id_headers())

    def _error(
        self,
        wire: Wire,
        record: RequestRecord,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        outcome: str = "error",
    ) -> web.Response:
        record.status = status or ERROR_STATUS.get(kind, 400)
        record.outcome = outcome
        record.first_byte = clock()
        headers = request_id_headers()
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return web.json_response(
            wire.error_body(kind, message),
            status=record.status,
            reason="Overloaded" if record.status == 529 else None,
            headers=headers,
        )


async def read_json(request: web.Request) -> dict | None:
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def request_id_headers() -> dict[str, str]:
    request_id = f"req_loopback_{uuid.uuid4().hex[:20]}"
    return {"x-request-id": request_id, "request-id": request_id}


# ---------------------------------------------------------------- shared routes

STATE_KEY = web.AppKey("loopback_state", LoopbackState)


async def list_models(request: web.Request) -> web.Response:
    """OpenAI's list shape, or Anthropic's when the client sends `anthropic-version`."""
    if "anthropic-version" in request.headers:
        return web.json_response(anthropic_messages.model_list(MODELS))
    return web.json_response(openai_chat.model_list(MODELS))


async def get_stats(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {"records": [record.to_json() for record in state.records], "connections": [c.to_json() for c in state.connections]}
    )


async def clear_stats(request: web.Request) -> web.Response:
    request.app[STATE_KEY].records.clear()
    request.app[STATE_KEY].connections.clear()
    return web.json_response({"records": [], "connections": []})


def build_app(state: LoopbackState) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = state
    exchange = Exchange(state)
    for module in WIRE_MODULES:
        module.register(app, exchange)
    for module in SOCKET_MODULES:
        module.register(app, state)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/loopback/stats", get_stats)
    app.router.add_delete("/loopback/stats", clear_stats)
    return app


# ---------------------------------------------------------------- lifecycle


def require_loopback(host: str) -> None:
    """The loopback server answers without keys, so it must never face a network."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the loopback server only binds loopback addresses, not {host!r}")


class LoopbackServer:
    """A running loopback server; `close()` it when done."""

    def __init__(self, runner: web.AppRunner, state: LoopbackState, host: str, port: int, scheme: str = "http"):
        self._runner = runner
        self._state = state
        self.host = host
        self.port = port
        self.scheme = scheme

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def records(self) -> list[RequestRecord]:
        return self._state.records

    @property
    def connections(self) -> list[ConnectionRecord]:
        return self._state.connections

    @property
    def state(self) -> LoopbackState:
        return self._state

    async def close(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> LoopbackServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_loopback(host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None) -> LoopbackServer:
    """Start listening (port 0 picks a free port) and return once connections are accepted.

    `ssl_context` serves https/wss, for clients that insist on TLS (google-genai's live client).
    """
    require_loopback(host)
    state = LoopbackState()
    runner = web.AppRunner(
        build_app(state),
        handler_cancellation=True,  # a client that leaves cancels its handler at once
        access_log=None,  # never log request lines (Gemini keys may ride in the query)
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
    except BaseException:
        await runner.cleanup()
        raise
    return LoopbackServer(runner, state, host, runner.addresses[0][1], "https" if ssl_context else "http")


def run_forever(host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted (`rtchat serve`)."""

    async def serve() -> None:
        server = await start_loopback(host, port)
        print(f"loopback server on {server.url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.close()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass

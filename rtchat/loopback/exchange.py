"""What every loopback wire shares: the server's state and the request/answer `Exchange`.

Apart from server.py (which registers the wire modules) so a wire module can name
these types without importing the server that imports it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from .budget import thinking_budget
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
    Conversation,
    Fault,
    ModelError,
    ModelSpec,
    Script,
    Usage,
    last_token_due,
    parse_model,
    write_script,
)

clock = time.monotonic

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


class PromptCache:
    """Remembers every message-list prefix it has served, like a provider's prompt cache.

    A prefix counts as cached from `ready_at` on: the moment the response that sent it has
    sent its last part, so two requests sent together (the lanes of a race) both pay for
    their prompt, and a follow-up sent after the answer was read always finds it. A
    provider, too, has an entry only once a request has been processed."""

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # prefix key -> from when it counts as cached

    def remember(self, model: str, conversation: Conversation, ready_at: float | None = None) -> int:
        """Tokens of the longest prefix cached by now; then remembers this request's prefixes."""
        now = clock()
        ready_at = now if ready_at is None else ready_at
        running = hashlib.sha256(model.encode())
        cached = total = 0
        keys = []
        for item, tokens in zip(conversation.prefix_items(), conversation.item_tokens()):
            encoded = item.encode()
            running.update(len(encoded).to_bytes(8, "big") + encoded)
            key = running.digest()
            total += tokens
            if key in self._seen and self._seen[key] <= now:
                cached = total
            keys.append(key)
        for key in keys:
            self._seen[key] = min(self._seen.get(key, ready_at), ready_at)
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
    def tool_problem(self, body: dict, conversation: Conversation) -> tuple[str, str | None] | None: ...
    def error_body(self, kind: str, message: str, param: str | None = None) -> dict[str, Any]: ...
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
        if spec.base == "tools":  # only the tools model checks a follow-up against what it sent
            mismatch = wire.tool_problem(body, conversation)
            if mismatch:
                return self._error(wire, record, "bad_request", mismatch[0], param=mismatch[1])
        script = write_script(spec.base, conversation, thinking=wire.wants_thinking(body), budget=thinking_budget(body))
        usage = Usage(conversation.input_tokens, self.state.prompt_cache.remember(spec.base, conversation, last_token_due(spec, script, record.started or clock())))
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
        schedule = Schedule.for_answer(spec, script, usage.input_tokens, usage.cached_tokens, record.started or clock())
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
            schedule = Schedule.for_answer(spec, script, usage.input_tokens, usage.cached_tokens, record.started or clock())
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
        param: str | None = None,
    ) -> web.Response:
        record.status = status or ERROR_STATUS.get(kind, 400)
        record.outcome = outcome
        record.first_byte = clock()
        headers = request_id_headers()
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return web.json_response(
            wire.error_body(kind, message, param),
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

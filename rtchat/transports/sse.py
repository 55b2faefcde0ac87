"""HTTP streaming: send one request, feed the raw bytes through the wire decoder.

Retries and error wording live in the session; this module reports what the
network did, precisely: a status it did not like, a connection that failed,
or a stream that went silent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from rtchat.debuglog import WireLog
from rtchat.errors import DeadlinePassed, HttpStatusFailure, ProtocolFailure
from rtchat.events import ANSWER_EVENTS, Done, Error, ErrorKind, Event, Notice
from rtchat.wire.base import HttpRequest, StreamDecoder, parse_json, preview
from rtchat.wire.sse import DEFAULT_MAX_EVENT_BYTES, FrameTooLarge, SSEFramer

MAX_ERROR_BODY = 64 * 1024


def status_failure(status: int, body: bytes, headers: httpx.Headers) -> HttpStatusFailure:
    return HttpStatusFailure(status, body, _retry_after(headers.get("retry-after")), headers.get("location"))


class StreamTooLarge(ProtocolFailure):
    """One event was larger than rtchat accepts."""


async def _read_whole(response: httpx.Response, limit: int) -> bytes:
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise StreamTooLarge(f"a {limit // (1024 * 1024)} MB answer body")
    return body


def _not_a_stream(decoder: StreamDecoder, content_type: str, body: bytes, url: str) -> list[Event]:
    """A 200 that is not an event stream: a whole JSON answer is read as the answer; anything else is one clear line."""
    host = httpx.URL(url).host
    if content_type == "text/html":
        return [Error(ErrorKind.PROTOCOL, f"{host} sent an HTML page instead of an answer, likely a login or proxy page; check the base URL"), Done("error")]
    payload = parse_json(body.decode("utf-8", "replace"))
    if payload is None:
        return [Error(ErrorKind.PROTOCOL, f"{host} answered 200 with {content_type} that is not valid JSON: {preview(body.decode('utf-8', 'replace'))}"), Done("error")]
    return decoder.whole(payload)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass
class ConnectionTiming:
    """Filled from httpx's trace hooks: how long TCP (+TLS) took, or 0 for a reused connection."""

    started: float = 0.0
    connect_started: float | None = None
    connected: float | None = None
    headers: float | None = None
    events: list[str] = field(default_factory=list)

    async def trace(self, name: str, info: dict) -> None:
        now = time.perf_counter()
        if name == "connection.connect_tcp.started":
            self.connect_started = now
        elif name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.connected = now

    @property
    def connect_ms(self) -> float:
        if self.connect_started is None or self.connected is None:
            return 0.0
        return (self.connected - self.connect_started) * 1000


async def _drain(chunks: AsyncIterator[bytes], limit: int = 64 * 1024, seconds: float = 0.2) -> None:
    """Read the (normally empty) rest of a finished stream so the connection can be reused."""
    read = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in chunks:
                read += len(chunk)
                if read > limit:
                    return
    except (TimeoutError, httpx.HTTPError):
        pass


@dataclass
class Deadlines:
    """When a turn gives up waiting. Progress is a decoded event, never a byte: a server
    dripping one byte a second or sending only keep-alive comments does not keep a turn alive."""

    stall: float  # seconds with no decoded event
    first_token: float | None = None  # seconds from the request to the first piece of the answer
    total: float | None = None  # seconds for the whole answer

    def next(self, started: float, now: float, answered: bool) -> tuple[float, str]:
        """The loop time of the next deadline and its name (stall, first_token or total)."""
        candidates = [(now + self.stall, "stall")]
        if not answered and self.first_token is not None:
            candidates.append((started + self.first_token, "first_token"))
        if self.total is not None:
            candidates.append((started + self.total, "total"))
        return min(candidates)


async def stream_events(
    client: httpx.AsyncClient,
    request: HttpRequest,
    decoder: StreamDecoder,
    timing: ConnectionTiming,
    deadlines: Deadlines,
    connect_timeout: float,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    wire_log: "WireLog | None" = None,
    backpressure: Callable[[], Awaitable[object] | None] | None = None,
) -> AsyncIterator[Event]:
    """The decoded events of one streamed answer; raises `HttpStatusFailure`, `DeadlinePassed`,
    `StreamTooLarge` or httpx's transport errors.

    `backpressure()`, asked after each event, gives something to await while the consumer is
    behind (None when it keeps up); that wait is not the server's silence, so the deadlines
    move by its length."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    answered = False
    which = "stall"

    def reschedule(scope: asyncio.Timeout) -> None:
        nonlocal which
        when, which = deadlines.next(started, loop.time(), answered)
        scope.reschedule(when)

    try:
        async with asyncio.timeout(None) as scope:
            reschedule(scope)
            async for event in _stream(client, request, decoder, timing, deadlines.stall, connect_timeout, max_event_bytes, wire_log):
                if not isinstance(event, Notice):
                    answered = answered or isinstance(event, ANSWER_EVENTS)
                    reschedule(scope)
                yield event
                wait = backpressure() if backpressure is not None else None
                if wait is not None:
                    deadline, paused = scope.when(), loop.time()
                    scope.reschedule(None)
                    await wait
                    scope.reschedule(None if deadline is None else deadline + loop.time() - paused)
    except TimeoutError:
        if not scope.expired():
            raise
        seconds = {"stall": deadlines.stall, "first_token": deadlines.first_token, "total": deadlines.total}[which]
        raise DeadlinePassed(which, seconds or 0.0) from None


async def _stream(
    client: httpx.AsyncClient,
    request: HttpRequest,
    decoder: StreamDecoder,
    timing: ConnectionTiming,
    stall_timeout: float,
    connect_timeout: float,
    max_event_bytes: int,
    wire_log: "WireLog | None",
) -> AsyncIterator[Event]:
    timeout = httpx.Timeout(connect=connect_timeout, read=stall_timeout, write=connect_timeout, pool=connect_timeout)
    if wire_log:
        wire_log.request("POST", request.url, request.headers, request.body)
    async with client.stream(
        "POST", request.url, json=request.body, headers=request.headers, timeout=timeout, extensions={"trace": timing.trace}
    ) as response:
        timing.headers = time.perf_counter()
        if wire_log:
            wire_log.response(response.status_code, response.headers)
        if response.status_code != 200:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ERROR_BODY:
                    break
            if wire_log:
                wire_log.frame(body[:MAX_ERROR_BODY])
            raise status_failure(response.status_code, body[:MAX_ERROR_BODY], response.headers)
        for event in decoder.headers(response.headers):
            yield event
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in ("application/json", "text/html") or content_type.endswith("+json"):
            body = await _read_whole(response, max_event_bytes)
            if wire_log:
                wire_log.frame(body)
            for event in _not_a_stream(decoder, content_type, body, request.url):
                yield event
            return
        framer = SSEFramer(max_event_bytes)
        chunks = response.aiter_bytes()
        framed = 0
        head = b""
        try:
            async for chunk in chunks:
                if wire_log:
                    wire_log.frame(chunk)
                if len(head) < 200:
                    head += chunk[:200]
                for sse in framer.feed(chunk):
                    framed += 1
                    for event in decoder.feed(sse):
                        if isinstance(event, Done):
                            await _drain(chunks)
                        yield event
                if decoder.done:
                    return
            for sse in framer.close():
                framed += 1
                for event in decoder.feed(sse):
                    yield event
        except FrameTooLarge as exc:
            raise StreamTooLarge(str(exc)) from None
        if not framed and content_type != "text/event-stream":
            shown = content_type or "no content type"
            sample = preview(head.decode("utf-8", "replace")) or "an empty body"
            yield Error(ErrorKind.PROTOCOL, f"{response.url.host} answered 200 with {shown} and no event stream: {sample}")
            yield Done("error")
            return
        for event in decoder.finish():
            yield event

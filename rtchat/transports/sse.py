"""HTTP streaming: send one request, feed the raw bytes through the wire decoder.

Retries and error wording live in the session; this module reports what the
network did, precisely: a status it did not like, a connection that failed,
or a stream that went silent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from rtchat.debuglog import WireLog
from rtchat.errors import HttpStatusFailure, ProtocolFailure
from rtchat.events import Done, Event
from rtchat.wire.base import HttpRequest, StreamDecoder
from rtchat.wire.sse import DEFAULT_MAX_EVENT_BYTES, FrameTooLarge, SSEFramer

MAX_ERROR_BODY = 64 * 1024


def status_failure(status: int, body: bytes, headers: httpx.Headers) -> HttpStatusFailure:
    return HttpStatusFailure(status, body, _retry_after(headers.get("retry-after")), headers.get("location"))


class StreamTooLarge(ProtocolFailure):
    """One event was larger than rtchat accepts."""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

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


async def stream_events(
    client: httpx.AsyncClient,
    request: HttpRequest,
    decoder: StreamDecoder,
    timing: ConnectionTiming,
    stall_timeout: float,
    connect_timeout: float,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    wire_log: "WireLog | None" = None,
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
        framer = SSEFramer(max_event_bytes)
        chunks = response.aiter_bytes()
        try:
            async for chunk in chunks:
                if wire_log:
                    wire_log.frame(chunk)
                for sse in framer.feed(chunk):
                    for event in decoder.feed(sse):
                        if isinstance(event, Done):
                            await _drain(chunks)
                        yield event
                if decoder.done:
                    return
            for sse in framer.close():
                for event in decoder.feed(sse):
                    yield event
        except FrameTooLarge as exc:
            raise StreamTooLarge(str(exc)) from None
        for event in decoder.finish():
            yield event

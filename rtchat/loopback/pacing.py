"""Turning a script into timed frames on the wire, and noticing when the client leaves.

`compose` decides WHAT goes out (frames, pauses, faults) without any clock;
`play` decides WHEN, on absolute due times so high token rates never drift,
and records what really happened on the request's record.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from .scripts import FLOOD_FRAMES, Fault, ModelSpec, Script, Usage, count_tokens
from .shape import Shape, offset, prefill_seconds

KEEPALIVE_INTERVAL = 0.1
KEEPALIVE_COUNT = 10
MAX_BURST = 256  # frames per write when many tokens are due at once
GONE_POLL = 0.02


def sse(data: Any, *, event: str | None = None, newline: str = "\n") -> str:
    """One SSE frame; `data` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}{newline}" if event else ""
    return f"{head}data: {payload}{newline}{newline}"


class Renderer(Protocol):
    """One request's frames in one wire format (see the wire modules)."""

    def opening(self) -> list[str]: ...
    def token(self, kind: str, piece: str) -> list[str]: ...
    def closing(self, stop: str, usage: Usage) -> list[str]: ...
    def error_frames(self, message: str) -> list[str]: ...
    def malformed_frame(self) -> str: ...
    def keepalive(self) -> str: ...


class Record(Protocol):
    first_byte: float | None
    ended: float | None
    tokens_sent: int
    outcome: str


# ---------------------------------------------------------------- what goes out


@dataclass(frozen=True)
class Send:
    data: str
    token: bool = False  # paced on the token schedule and counted as sent


@dataclass(frozen=True)
class Pause:
    seconds: float  # also pushes the token schedule back


@dataclass(frozen=True)
class Stall:
    """Say nothing more until the client gives up."""


@dataclass(frozen=True)
class Abort:
    """Cut the TCP connection mid-body."""


@dataclass(frozen=True)
class End:
    outcome: str  # "complete" | "fault"


Action = Send | Pause | Stall | Abort | End

MIDSTREAM_ERROR = "The loopback model failed in the middle of the stream (fault-error-midstream)."


MIDSTREAM_ACTIONS = ("error", "stall", "malformed", "flood", "drop")


def fault_position(script: Script, fault: Fault | None) -> int | None:
    """Index into `script.parts` before which a mid-stream fault fires (after N answer tokens)."""
    if fault is None or fault.action not in MIDSTREAM_ACTIONS:
        return None
    answers = [index for index, (kind, _) in enumerate(script.parts) if kind != "thinking"]
    return answers[fault.after_tokens] if fault.after_tokens < len(answers) else len(script.parts)


def compose(renderer: Renderer, script: Script, fault: Fault | None, usage: Usage) -> Iterator[Action]:
    """The frames of one streamed answer, with the model's fault (if any) woven in.

    `usage` carries the input side; output counts are what this stream really sends.
    """
    action = fault.action if fault else None
    if action == "stall_first":
        yield Stall()
        return
    if action == "keepalive":
        for _ in range(KEEPALIVE_COUNT):
            yield Pause(KEEPALIVE_INTERVAL)
            yield Send(renderer.keepalive())
    for frame in renderer.opening():
        yield Send(frame)
    fire_at = fault_position(script, fault)
    thinking_sent = answer_sent = 0
    parts = itertools.cycle(script.parts) if script.endless else script.parts
    for position, (kind, piece) in enumerate(parts):
        if position == fire_at and (yield from _fire(action, renderer)):
            return
        for index, frame in enumerate(renderer.token(kind, piece)):
            yield Send(frame, token=index == 0)  # transition frames ride with their token
        if kind == "thinking":
            thinking_sent += count_tokens(piece)  # one, but for the think model's chunks
        else:
            answer_sent += 1
    if fire_at == len(script.parts) and (yield from _fire(action, renderer)):
        return
    sent = Usage(usage.input_tokens, usage.cached_tokens, thinking_sent, answer_sent)
    for frame in renderer.closing(script.stop, sent):
        yield Send(frame)
    yield End("complete" if fire_at is None else "fault")


def _fire(action: str | None, renderer: Renderer) -> Iterator[Action]:
    """Emit one fault; returns True when the stream ends with it."""
    if action == "error":
        for frame in renderer.error_frames(MIDSTREAM_ERROR):
            yield Send(frame)
        yield End("fault")
        return True
    if action == "stall":
        yield Stall()
        return True
    if action == "drop":
        yield Abort()
        return True
    for _ in range(FLOOD_FRAMES if action == "flood" else 1):
        yield Send(renderer.malformed_frame())
    return False


# ---------------------------------------------------------------- when it goes out


class Schedule:
    """Token i is due at origin + ttft + i / rate (rate 0: immediately), or on the model's shape
    (`for_answer`: prefill by uncached input, thinking at its own rate; see shape.py)."""

    def __init__(self, rate: float, ttft: float, origin: float, shape: Shape | None = None, thinking_parts: int = 0, per_part: int = 1):
        self.rate = rate
        self.ttft = ttft
        self.origin = origin
        self.shape = shape or Shape(rate)
        self.thinking_parts = thinking_parts
        self.per_part = per_part  # thinking tokens per thinking part

    @classmethod
    def for_answer(cls, spec: ModelSpec, script: Script, input_tokens: int, cached_tokens: int, origin: float) -> "Schedule":
        """The schedule of `script` from model `spec` for a prompt of `input_tokens`, `cached_tokens` of them cached."""
        ttft = spec.ttft + prefill_seconds(spec.shape, input_tokens, cached_tokens)
        return cls(spec.rate, ttft, origin, spec.shape, script.thinking_parts, script.thinking_chunk)

    def due(self, index: int) -> float:
        return self.origin + self.ttft + offset(self.shape, self.thinking_parts, index, self.per_part)

    def push_back(self, seconds: float) -> None:
        self.origin += seconds


class ClientGone(Exception):
    """The client closed its end while we were waiting to write."""


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def wait_until_gone(request: web.Request) -> None:
    """Stay silent (no keep-alives) until the client closes its end."""
    while not client_gone(request):
        await asyncio.sleep(GONE_POLL)


async def play(
    request: web.Request,
    response: web.StreamResponse,
    actions: Iterable[Action],
    schedule: Schedule,
    record: Record,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Write the actions on schedule; record first byte, tokens sent, outcome and end.

    Each wait targets the next token's absolute due time, and everything already
    due goes out in one write, so timer slop never accumulates into drift.
    """
    pending: list[str] = []
    pending_tokens = 0
    index = 0

    async def flush() -> None:
        nonlocal pending_tokens
        if not pending:
            return
        data = "".join(pending).encode()
        count = pending_tokens
        pending.clear()
        pending_tokens = 0
        await response.write(data)
        if record.first_byte is None:
            record.first_byte = clock()
        record.tokens_sent += count

    try:
        for action in actions:
            if isinstance(action, Send):
                if action.token:
                    wait = schedule.due(index) - clock()
                    index += 1
                    if wait > 0:
                        await flush()
                        await sleep(wait)
                    pending_tokens += 1
                pending.append(action.data)
                if len(pending) >= MAX_BURST:
                    await flush()
            elif isinstance(action, Pause):
                await flush()
                await sleep(action.seconds)
                schedule.push_back(action.seconds)
            elif isinstance(action, Stall):
                await flush()
                await wait_until_gone(request)
                raise ClientGone
            elif isinstance(action, Abort):
                await flush()
                if request.transport is not None:
                    request.transport.abort()
                record.outcome = "fault"
                return
            elif isinstance(action, End):
                await flush()
                await response.write_eof()
                record.outcome = action.outcome
                return
    except (ConnectionError, ClientGone):
        record.outcome = "disconnected"
    except asyncio.CancelledError:
        record.outcome = "disconnected"
        raise
    finally:
        record.ended = clock()

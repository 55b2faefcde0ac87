"""One turn, timed from the consumer's side: what a person watching the stream would see.

Times are taken as events come out of `Turn.events()`, after decoding and the
session's queue, so rtchat's own overhead is inside every figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rtchat.events import Done, Error, TextDelta, ThinkingDelta, Transcript, Usage


def is_token(event: Any) -> bool:
    if isinstance(event, (TextDelta, ThinkingDelta)):
        return bool(event.text)
    return isinstance(event, Transcript) and event.role == "assistant" and bool(event.text)


@dataclass
class Probe:
    """What one turn did: arrival times of its tokens and how it ended."""

    started: float
    arrivals: list[float] = field(default_factory=list)
    connect_ms: float | None = None
    usage: Usage | None = None
    error: Error | None = None
    done: str | None = None
    cancel_sent: float | None = None
    done_at: float | None = None
    after_cancel: int = 0  # tokens still delivered after cancel(): the stream had not stopped yet

    @property
    def ttft_ms(self) -> float | None:
        return (self.arrivals[0] - self.started) * 1000.0 if self.arrivals else None

    @property
    def interrupt_ms(self) -> float | None:
        """Cancel sent -> the turn's Done arrived: how long "stop" takes to stop the stream."""
        if self.cancel_sent is None or self.done_at is None:
            return None
        return (self.done_at - self.cancel_sent) * 1000.0


async def probe_turn(open_turn: Callable[[], Any], stop_after: int | None) -> Probe:
    """Run one turn; cancel it once `stop_after` tokens have arrived (None: let it finish)."""
    probe = Probe(started=time.perf_counter())
    turn = open_turn()
    async for event in turn.events():
        now = time.perf_counter()
        if is_token(event) and probe.cancel_sent is not None:
            probe.after_cancel += 1
        elif is_token(event):
            probe.arrivals.append(now)
            if stop_after is not None and len(probe.arrivals) >= stop_after and probe.cancel_sent is None:
                turn.cancel()
                probe.cancel_sent = getattr(turn, "cancel_requested_at", None) or now
        elif isinstance(event, Usage):
            probe.usage = event
        elif isinstance(event, Error):
            probe.error = event
        elif isinstance(event, Done):
            probe.done, probe.done_at = event.reason, now
            break
    if probe.cancel_sent is not None and getattr(turn, "cancel_requested_at", 1.0) is None:
        probe.cancel_sent = None  # the stream had already ended: cancel() did nothing to time
    stats = getattr(turn, "stats", None)
    probe.connect_ms = getattr(stats, "connect_ms", None)
    return probe

"""One turn, timed from the consumer's side: what a person watching the stream would see.

The figures are the turn's own clock (rtchat.metrics), stamped as events come
out of `Turn.events()`, so rtchat's own overhead is inside every figure and the
bench means by TTFT and tokens/s exactly what the status line and history do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rtchat.events import Done, Error, Usage
from rtchat.metrics import is_token
from rtchat.turns.base import Turn, TurnStats


@dataclass
class Probe:
    """What one turn did: its figures (read from its clock once it ended) and how it ended."""

    stats: TurnStats | None = None
    shown: int = 0  # tokens handed out so far
    error: Error | None = None
    done: str | None = None
    cancel_sent: float | None = None
    done_at: float | None = None
    after_cancel: int = 0  # tokens still delivered after cancel(): the stream had not stopped yet

    @property
    def arrivals(self) -> tuple[float, ...]:
        return self.stats.arrivals if self.stats else ()

    @property
    def ttft_ms(self) -> float | None:
        return self.stats.ttft_ms if self.stats else None

    @property
    def connect_ms(self) -> float | None:
        return self.stats.connect_ms if self.stats else None

    @property
    def usage(self) -> Usage | None:
        return self.stats.usage if self.stats else None

    @property
    def interrupt_ms(self) -> float | None:
        """Cancel sent -> the turn's Done arrived: how long "stop" takes to stop the stream."""
        if self.cancel_sent is None or self.done_at is None:
            return None
        return (self.done_at - self.cancel_sent) * 1000.0


async def probe_turn(open_turn: Callable[[], Turn], stop_after: int | None) -> Probe:
    """Run one turn; cancel it once `stop_after` tokens have arrived (None: let it finish)."""
    turn = open_turn()
    probe = Probe()
    async for event in turn.events():
        now = time.perf_counter()
        if is_token(event) and probe.cancel_sent is not None:
            probe.after_cancel += 1
        elif is_token(event):
            probe.shown += 1
            if stop_after is not None and probe.shown >= stop_after and probe.cancel_sent is None:
                turn.cancel()
                probe.cancel_sent = turn.stats().cancelled_at
        elif isinstance(event, Error):
            probe.error = event
        elif isinstance(event, Done):
            probe.done, probe.done_at = event.reason, now
            break
    probe.stats = turn.stats()
    return probe

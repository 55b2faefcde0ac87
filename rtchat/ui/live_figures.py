"""The running turn's figures for the status line, computed exactly as `rtchat bench` does.

Token arrivals are stamped as events leave the turn (the bench's `is_token`
rule: text, thinking, or the spoken answer's transcript), and TTFT and
tokens/s come from rtchat.bench.stats, so the status line and the bench table
never disagree about what a figure means.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rtchat.bench.probe import is_token
from rtchat.bench.stats import tokens_per_second
from rtchat.events import Event, Usage


@dataclass
class LiveFigures:
    started: float = field(default_factory=time.perf_counter)
    arrivals: list[float] = field(default_factory=list)
    usage: Usage | None = None

    def observe(self, event: Event, now: float | None = None) -> None:
        if is_token(event):
            self.arrivals.append(time.perf_counter() if now is None else now)
        elif isinstance(event, Usage):
            self.usage = event

    @property
    def ttft_ms(self) -> float | None:
        """Same as the bench's `Probe.ttft_ms`: turn start to the first token seen."""
        return (self.arrivals[0] - self.started) * 1000.0 if self.arrivals else None

    @property
    def tokens_per_s(self) -> float | None:
        return tokens_per_second(self.arrivals)

"""The one clock: what TTFT, inter-token gaps and tokens/s mean, defined once.

The status line, the history, `--jsonl` and `rtchat bench` all read a
`TurnClock`, so no two of them can disagree about a figure. Token arrivals are
stamped where the consumer receives them (after decoding and the turn's queue),
so rtchat's own overhead is inside every figure, as a person watching sees it.

A spoken turn has the same TTFT (its first answer event: the words of the spoken
answer) and two figures of its own, defined here too: first audio (the clock's
start to the first audible sample of the answer) and end of speech to first
audio (what a listener waits after they stop talking).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtchat.events import Event, Metrics, TextDelta, ThinkingDelta, ToolCallResult, Transcript, Usage


def is_token(event: Event) -> bool:
    """A piece of the answer a person sees arrive: text, thinking, or the spoken answer's words."""
    if isinstance(event, (TextDelta, ThinkingDelta)):
        return bool(event.text)
    return isinstance(event, Transcript) and event.role == "assistant" and bool(event.text)


def gaps_ms(arrivals: Sequence[float]) -> list[float]:
    """Inter-token latency: milliseconds between consecutive arrival times (seconds)."""
    return [(later - earlier) * 1000.0 for earlier, later in zip(arrivals, arrivals[1:])]


# A rate needs a span that means something. Arrivals are stamped where the consumer takes
# them, so a socket frame holding several tokens, or a consumer busy for one screen frame,
# stamps a few arrivals within microseconds: two of them "measure" 300,000 tok/s. Over at
# least RATE_MIN_GAPS gaps and RATE_MIN_SPAN_S, one such batch (a 16 ms frame) moves the
# figure by a sixth at most; below that there is no rate (None), never a wild one.
RATE_MIN_GAPS = 10
RATE_MIN_SPAN_S = 0.1


def tokens_per_second(arrivals: Sequence[float], steps: Sequence[int] = ()) -> float | None:
    """Streaming rate after the first token: (n - 1) arrivals over the first-to-last span,
    or None until that span is long enough to mean something (see RATE_MIN_SPAN_S).

    Counted from what arrived, never from a provider's running usage count (Anthropic's
    `message_start` count is provisional). The first arrival is excluded: its wait is TTFT.

    `steps` are the indices of the arrivals that began a tool step's next stream: the time
    before each (the tools running, the user deciding, the next request's wait) is not
    streaming, so each stream counts its own gaps over its own span, as the first does."""
    bounds = [0, *steps, len(arrivals)]
    runs = [arrivals[start:end] for start, end in zip(bounds, bounds[1:]) if end > start]
    gaps = sum(len(run) - 1 for run in runs)
    span = sum(run[-1] - run[0] for run in runs)
    if gaps < RATE_MIN_GAPS:
        return None
    return gaps / span if span >= RATE_MIN_SPAN_S else None


def format_ms(value: float | None, missing: str = "–") -> str:
    """A millisecond figure as every screen writes it: `3,011 ms` (whole ms, thousands separated)."""
    return missing if value is None else f"{value:,.0f} ms"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _since(start: float, at: float | None) -> float | None:
    return None if at is None else (at - start) * 1000.0


@dataclass
class TurnClock:
    """The figures of one turn, read live by the status line and frozen into `Metrics` at the end."""

    started: float = field(default_factory=time.perf_counter)
    connect_ms: float | None = None
    headers_at: float | None = None
    attempts: int = 0
    arrivals: list[float] = field(default_factory=list)
    usage: Usage | None = None
    speech_ended_at: float | None = None  # spoken turns: the user's speech ended (released, or the server heard it stop)
    first_audio_at: float | None = None  # spoken turns: the first audible sample of the answer played
    thinking_from: float | None = None  # the first piece of thinking arrived
    thinking_until: float | None = None  # the first piece after the thinking (text) arrived
    steps: list[int] = field(default_factory=list)  # arrivals that began a stream after tool results (see tokens_per_second)
    _after_tools: bool = False

    def observe(self, event: Event, now: float | None = None) -> None:
        if is_token(event):
            if self._after_tools:
                self.steps.append(len(self.arrivals))
                self._after_tools = False
            at = time.perf_counter() if now is None else now
            self.arrivals.append(at)
            if isinstance(event, ThinkingDelta):
                self.thinking_from = at if self.thinking_from is None else self.thinking_from
            elif self.thinking_from is not None and self.thinking_until is None:
                self.thinking_until = at
        elif isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, ToolCallResult):
            self._after_tools = True  # what streams next is the next step's answer

    @property
    def thinking_ms(self) -> float | None:
        """How long the model thought: its first thought to the first text after (or its last thought)."""
        if self.thinking_from is None:
            return None
        until = self.thinking_until if self.thinking_until is not None else self.arrivals[-1]
        return (until - self.thinking_from) * 1000.0

    @property
    def ttft_ms(self) -> float | None:
        return None if not self.arrivals else (self.arrivals[0] - self.started) * 1000.0

    @property
    def tokens_per_s(self) -> float | None:
        return tokens_per_second(self.arrivals, self.steps)

    @property
    def first_audio_ms(self) -> float | None:
        """Spoken turns: from the clock's start to the first sound of the answer."""
        return _since(self.started, self.first_audio_at)

    @property
    def speech_to_audio_ms(self) -> float | None:
        """Spoken turns: from the end of the user's speech to the first sound of the answer."""
        return None if self.speech_ended_at is None else _since(self.speech_ended_at, self.first_audio_at)

    def metrics(self, now: float | None = None, effort: str | None = None) -> Metrics:
        """The frozen figures; `effort`, the one the turn sent, is kept beside its thinking time."""
        end = time.perf_counter() if now is None else now
        return Metrics(
            connect_ms=_round(self.connect_ms),
            headers_ms=_round(None if self.headers_at is None else (self.headers_at - self.started) * 1000),
            ttft_ms=_round(self.ttft_ms),
            total_ms=_round((end - self.started) * 1000),
            tokens_per_s=_round(self.tokens_per_s),
            output_chunks=len(self.arrivals),
            attempts=max(1, self.attempts),
            first_audio_ms=_round(self.first_audio_ms),
            speech_to_audio_ms=_round(self.speech_to_audio_ms),
            thinking_ms=_round(self.thinking_ms),
            effort=effort if self.thinking_from is not None else None,
        )

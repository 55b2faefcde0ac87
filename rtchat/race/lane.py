"""One racer's state: its turn, how it ended, and its figures.

Figures come from the turn's own clock and answer fold (never recomputed here),
so a race reports exactly what `ask --jsonl` and the status line would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rtchat.answer import Answer
from rtchat.events import Done, Error, Event, Metrics, machine_usd
from rtchat.metrics import is_token
from rtchat.race.targets import RaceSpec
from rtchat.target import cost_unknown
from rtchat.turns.base import Turn

COVERS = {
    "setup_ms": "opening the lane's WebSocket or WebRTC call, done before the common start (not in ttft_ms); null for SSE",
    "connect_ms": "TCP (and TLS) connect of the lane's request inside the race (SSE; 0 when a kept-alive connection was reused)",
    "ttft_ms": "the common start to the first token shown",
    "tokens_per_s": "tokens after the first over the first-to-last span; null when the span is too short to mean a rate",
    "total_ms": "the common start to the lane's end",
}
FINISHED = ("complete", "length", "refusal", "tool_use", "pause")  # a real end, not an error or a stop


@dataclass(frozen=True)
class Figures:
    """What a column shows and `--json` prints; None where not (yet) measured (see COVERS)."""

    setup_ms: float | None = None
    connect_ms: float | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    total_ms: float | None = None
    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    saved_usd: float | None = None
    cost_source: str | None = None  # server | table | unknown (ended, and nobody said: never $0); None while running

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Lane:
    spec: RaceSpec
    turn: Turn | None = None  # None when the target could not be resolved
    reason: str | None = None  # the Done reason once it ended
    error: str | None = None
    first_answer: bool = False  # marked: the first lane to show a token
    first_finish: bool = False  # marked: the first lane to end with a whole answer
    tokens: int = 0  # pieces of the answer shown so far
    setup_ms: float | None = None  # opening its socket or call, before the common start (race.runner)
    metrics: Metrics | None = None

    @property
    def running(self) -> bool:
        return self.reason is None

    @property
    def text(self) -> str:
        return "" if self.turn is None else self.turn.answer().text

    def record(self, event: Event) -> None:
        if is_token(event):
            self.tokens += 1
        elif isinstance(event, Metrics):
            self.metrics = event
        elif isinstance(event, Error):
            self.error = event.message
        elif isinstance(event, Done):
            self.reason = event.reason

    def figures(self) -> Figures:
        """Live while running (from the clock), frozen once the turn handed out its Metrics."""
        if self.turn is None:
            return Figures()
        clock = self.turn.stats()
        answer = self.turn.answer()
        usage, cost = answer.usage, answer.cost
        metrics = self.metrics
        return Figures(
            setup_ms=self.setup_ms,
            connect_ms=None if self.setup_ms is not None else _round(clock.connect_ms),
            ttft_ms=metrics.ttft_ms if metrics else _round(clock.ttft_ms),
            tokens_per_s=metrics.tokens_per_s if metrics else _round(clock.tokens_per_s),
            total_ms=metrics.total_ms if metrics else None,
            input_tokens=usage.input_tokens if usage else None,
            cached_tokens=usage.cached_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            cost_usd=machine_usd(cost.usd) if cost else None,
            saved_usd=machine_usd(cost.saved_usd) if cost else None,
            cost_source=cost.source if cost else self._unknown_cost(answer),
        )

    def _unknown_cost(self, answer: Answer) -> str | None:
        assert self.turn is not None
        said_something = answer.usage is not None or bool(answer.spoken_text)
        return "unknown" if self.reason is not None and said_something and cost_unknown(self.turn.target, None) else None

    def to_json(self) -> dict:
        return {
            "model": self.spec.model,
            "protocol": self.spec.protocol,
            "reason": self.reason,
            "error": self.error,
            "first_answer": self.first_answer,
            "first_finish": self.first_finish,
            "figures": self.figures().to_json(),
            "answer": self.text,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

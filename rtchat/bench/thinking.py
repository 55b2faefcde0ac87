"""The thinking pass: time to the first *answer* token and the answer's tokens/s, by thinking budget.

A bigger budget makes the model think longer before it answers (the seed's point), so this pass
times the first text token, not the first thinking token the protocol table counts. Budgets are
asked for with rtchat's efforts: off, low, medium, high; the loopback and Anthropic read them as
tokens (loopback 1K / 4K / 16K; Anthropic 2K / 8K / 16K), OpenAI-style servers as an effort.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

from rtchat.events import Done, Error, TextDelta, ThinkingDelta
from rtchat.metrics import tokens_per_second
from rtchat.turns.base import Turn

# (row label, rtchat effort): the seed's budgets
BUDGETS = (("off", "off"), ("1K", "low"), ("4K", "medium"), ("16K", "high"))


@dataclass
class ThinkingProbe:
    started: float = 0.0
    answer: list[float] = field(default_factory=list)  # arrival of each answer (text) token
    thinking: int = 0  # thinking deltas that arrived
    error: Error | None = None
    done: str | None = None
    reasoning_tokens: int | None = None  # as the provider counted them

    @property
    def ttft_ms(self) -> float | None:
        return (self.answer[0] - self.started) * 1000.0 if self.answer else None

    @property
    def tokens_per_s(self) -> float | None:
        return tokens_per_second(self.answer)


async def probe_answer(open_turn: Callable[[], Turn], stop_after: int) -> ThinkingProbe:
    """Run a turn until `stop_after` answer tokens arrived (then cancel) or it ends."""
    turn = open_turn()
    probe = ThinkingProbe(started=turn.stats().started)  # the turn's own clock, as the protocol table's TTFT
    async for event in turn.events():
        if isinstance(event, TextDelta) and event.text:
            probe.answer.append(perf_counter())
            if len(probe.answer) == stop_after:
                turn.cancel()
        elif isinstance(event, ThinkingDelta) and event.text:
            probe.thinking += 1
        elif isinstance(event, Error):
            probe.error = event
        elif isinstance(event, Done):
            probe.done = event.reason
            break
    usage = turn.stats().usage
    probe.reasoning_tokens = usage.reasoning_tokens if usage else None
    return probe

"""When each part of a loopback answer is due: the shape real models have, deterministic.

Three effects, each off unless the model spec asks for it (so the plain models keep
their flat pacing):

- **prefill**: before the first token the model reads the prompt, `1 / prefill` seconds
  per input token it has not cached, and `CACHED_COST` of that per cached token. A
  repeated prefix is served faster only when the prompt cache (exchange.PromptCache)
  really holds it, so the first request with a prefix never gains.
- **thinking**: thinking parts go out at `think_rate` tokens/s, so time to the first
  answer token grows with the thinking length (the `think` model thinks as long as its
  budget allows).
- **decode slowed by context**: answer tokens after N thinking tokens come at
  `rate / (1 + N / CONTEXT_SLOWDOWN)`; the longer the thinking, the slower the answer.

The `think` model's defaults are the seed's figures (off / 1K / 4K / 16K thinking:
~400 ms / 1.2 s / 4.5 s / 18 s to the first answer token at ~45 / 45 / 40 / 30 t/s)
at a tenth of their time (`THINK_TIME_SCALE`), so a bench run takes seconds, not minutes;
`think@scale=1` runs at the seed's own speed.
"""

from __future__ import annotations

from dataclasses import dataclass

CACHED_COST = 0.1  # a cached input token costs a tenth of a fresh one to read (the seed: up to 90% off)
CONTEXT_SLOWDOWN = 32_768  # thinking tokens that slow the answer to half its rate: 16K -> 2/3, 4K -> 8/9
THINK_TIME_SCALE = 0.1  # the think model's default: a tenth of the seed's times
THINK_TTFT = 0.4  # seconds to the first token with thinking off (the seed's ~400 ms)
THINK_RATE = 1000.0  # thinking tokens/s (the seed's 1.2 s / 4.5 s / 18 s for 1K / 4K / 16K)
THINK_ANSWER_RATE = 45.0  # answer tokens/s with thinking off (the seed's ~45 t/s)
THINK_PREFILL = 20_000.0  # uncached input tokens read per second


@dataclass(frozen=True)
class Shape:
    """The timing knobs of one model spec (0 everywhere: the flat pacing of the plain models)."""

    rate: float = 0.0  # answer tokens/s (0: at once)
    ttft: float = 0.0  # seconds before the first token, prefill apart
    prefill: float = 0.0  # uncached input tokens read per second (0: reading costs nothing)
    think_rate: float = 0.0  # thinking tokens/s (0: thinking goes at `rate`, and slows nothing)


def prefill_seconds(shape: Shape, input_tokens: int, cached_tokens: int) -> float:
    if shape.prefill <= 0:
        return 0.0
    fresh = max(0, input_tokens - cached_tokens)
    return (fresh + CACHED_COST * min(cached_tokens, input_tokens)) / shape.prefill


def offset(shape: Shape, thinking_parts: int, index: int, per_part: int = 1) -> float:
    """Seconds from the first part to part `index`, thinking parts (`per_part` tokens each) first."""
    if shape.think_rate <= 0:
        return index / shape.rate if shape.rate > 0 else 0.0
    if index < thinking_parts:
        return index * per_part / shape.think_rate
    thought = thinking_parts * per_part / shape.think_rate
    rate = answer_rate(shape, thinking_parts * per_part)
    return thought + ((index - thinking_parts) / rate if rate > 0 else 0.0)


def answer_rate(shape: Shape, thinking_tokens: int) -> float:
    """The answer's tokens/s after `thinking_tokens` of thinking."""
    if shape.think_rate <= 0:
        return shape.rate
    return shape.rate / (1 + thinking_tokens / CONTEXT_SLOWDOWN)


def think_shape(scale: float = THINK_TIME_SCALE) -> Shape:
    """The think model's shape, `scale` times the seed's durations."""
    return Shape(rate=THINK_ANSWER_RATE / scale, ttft=THINK_TTFT * scale, prefill=THINK_PREFILL / scale, think_rate=THINK_RATE / scale)

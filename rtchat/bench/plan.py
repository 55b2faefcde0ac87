"""How many turns a bench will run, in which order, and which model the cache pass uses.

Pure, so the cost estimate shown before asking for confirmation counts exactly
the turns the runner will then run.
"""

from __future__ import annotations

from dataclasses import dataclass

STOP_AFTER = 200  # measured turns are cancelled after this many tokens: quick, and the same length everywhere
INTERRUPT_AFTER = 5  # interrupt turns are cancelled after this many tokens
CACHE_REPLY_LIMIT = 400  # cache-pass turns must finish (usage comes last); cancelled past this


THINKING_ROWS = 4  # off, 1K, 4K, 16K (rtchat.bench.thinking.BUDGETS)
LOOPBACK_CACHE_PREFILL = 5000  # input tokens/s the loopback reads uncached: the seed's ~350 ms miss on the bench's prefix


@dataclass(frozen=True)
class Plan:
    protocols: tuple[str, ...]
    runs: int
    cache_pass: bool = True
    thinking_pass: bool = False  # over the first protocol only: the budget is the model's, not the transport's

    def turns(self) -> int:
        per_protocol = 1 + 2 * self.runs  # warm-up, then a measured and an interrupt turn per run
        if self.cache_pass:
            per_protocol += 1 + 2 * self.runs  # prime the prefix, then a cold and a warm turn per run
        thinking = 1 + THINKING_ROWS * self.runs if self.thinking_pass and self.protocols else 0  # a warm-up, then each row
        return per_protocol * len(self.protocols) + thinking

    def order(self, run: int) -> list[str]:
        """Protocols rotated by run, so none is always first after a pause (alternation fights drift)."""
        shift = run % len(self.protocols) if self.protocols else 0
        return list(self.protocols[shift:] + self.protocols[:shift])


def cache_model_for(model: str) -> str:
    """The model of the cache pass: the same one, except on the loopback.

    Cached tokens arrive in the final usage report, so cache-pass turns must run
    to completion; lorem writes >5,000 tokens, so the pass uses echo (a short
    reply) at the same pacing options. A loopback model reads its prompt for free
    unless told how fast it reads (`prefill=`), so the pass says so: then a prefix
    the loopback's prompt cache holds is read at a tenth of the cost (loopback/shape.py).
    """
    provider, _, rest = model.partition("/")
    base, _, options = rest.partition("@")
    if provider != "loopback":
        return model
    if base == "lorem":
        base = "echo"
    if "prefill=" not in options:  # the loopback reads a prompt for free unless asked: ask, so a cache hit shows
        options = ",".join(filter(None, (options, f"prefill={LOOPBACK_CACHE_PREFILL}")))
    return f"loopback/{base}@{options}"


def thinking_model_for(model: str) -> str:
    """The model of the thinking pass: the same one, except on the loopback, where the `think`
    model's thinking follows the budget (`loopback/think@scale=1` is kept as it is)."""
    provider, _, rest = model.partition("/")
    if provider == "loopback" and rest.partition("@")[0] != "think":
        return "loopback/think"
    return model

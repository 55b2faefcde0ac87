"""How many turns a bench will run, in which order, and which model the cache pass uses.

Pure, so the cost estimate shown before asking for confirmation counts exactly
the turns the runner will then run.
"""

from __future__ import annotations

from dataclasses import dataclass

STOP_AFTER = 200  # measured turns are cancelled after this many tokens: quick, and the same length everywhere
INTERRUPT_AFTER = 5  # interrupt turns are cancelled after this many tokens
CACHE_REPLY_LIMIT = 400  # cache-pass turns must finish (usage comes last); cancelled past this


@dataclass(frozen=True)
class Plan:
    protocols: tuple[str, ...]
    runs: int
    cache_pass: bool = True

    def turns(self) -> int:
        per_protocol = 1 + 2 * self.runs  # warm-up, then a measured and an interrupt turn per run
        if self.cache_pass:
            per_protocol += 1 + 2 * self.runs  # prime the prefix, then a cold and a warm turn per run
        return per_protocol * len(self.protocols)

    def order(self, run: int) -> list[str]:
        """Protocols rotated by run, so none is always first after a pause (alternation fights drift)."""
        shift = run % len(self.protocols) if self.protocols else 0
        return list(self.protocols[shift:] + self.protocols[:shift])


def cache_model_for(model: str) -> str:
    """The model of the cache pass: the same one, except loopback/lorem, which never ends quickly.

    Cached tokens arrive in the final usage report, so cache-pass turns must run
    to completion; lorem writes >5,000 tokens, so the pass uses echo (a short
    reply) at the same pacing options.
    """
    provider, _, rest = model.partition("/")
    base, at, options = rest.partition("@")
    if provider == "loopback" and base == "lorem":
        return f"loopback/echo{at}{options}"
    return model

"""Roughly how much a bench spends, before any request leaves (whether it spends at all is
`target.is_free`).

Token counts are estimated at ~4 characters a token: good enough to tell a
few cents from a few dollars, which is all a confirmation prompt needs. The
dollars come from the same price table the status line uses (`rtchat.pricing`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rtchat.bench.plan import CACHE_REPLY_LIMIT, THINKING_ROWS, Plan
from rtchat.bench.prefix import shared_prefix
from rtchat.conversation import CHARS_PER_TOKEN
from rtchat.events import Usage
from rtchat.pricing import Price, format_usd

REQUEST_OVERHEAD_TOKENS = 10  # role markers and framing around the prompt
THINKING_BUDGET_TOKENS = 1024 + 4096 + 16_384  # one run of the thinking pass's budgets (off thinks none)


@dataclass(frozen=True)
class Estimate:
    turns: int
    input_tokens: int
    output_tokens: int  # an upper bound: measured turns are cut at the token limit

    def dollars(self, price: Price) -> float:
        """An upper bound: every input token at the full (uncached) price, every output token counted."""
        return price.cost(Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens)).usd

    def describe(self, price: Price | None = None) -> str:
        tokens = (
            f"about {self.turns} turns, ~{self.input_tokens:,} input tokens "
            f"and at most ~{self.output_tokens:,} output tokens"
        )
        if price is None:
            return f"{tokens} (no price known for this model)"
        return f"at most ~{format_usd(self.dollars(price))}: {tokens}"


def estimate(plan: Plan, prompt: str, stop_after: int, interrupt_after: int) -> Estimate:
    prompt_tokens = len(prompt) // CHARS_PER_TOKEN + REQUEST_OVERHEAD_TOKENS
    protocols = len(plan.protocols)
    plain = protocols * (1 + 2 * plan.runs)  # warm-up + measured + interrupt
    output = protocols * (interrupt_after + plan.runs * (stop_after + interrupt_after * 4))  # a cancel lands a few tokens late
    inputs = plain * prompt_tokens
    if plan.cache_pass:
        cached = protocols * (1 + 2 * plan.runs)
        inputs += cached * (prompt_tokens + len(shared_prefix()) // CHARS_PER_TOKEN)
        output += cached * CACHE_REPLY_LIMIT
    if plan.thinking_pass and protocols:
        turns = 1 + THINKING_ROWS * plan.runs  # a warm-up, then each budget
        inputs += turns * prompt_tokens
        output += turns * CACHE_REPLY_LIMIT + plan.runs * THINKING_BUDGET_TOKENS  # every budget thought through to its end
    return Estimate(plan.turns(), inputs, output)

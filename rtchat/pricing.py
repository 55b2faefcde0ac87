"""What a turn costs: a price per million tokens for each known model, and the arithmetic.

Prices are the providers' public list prices as rtchat knows them (`CHECKED`);
a config table `[prices."PROVIDER/MODEL"]` overrides any of them, and a cost
the server reports itself (LiteLLM, OpenRouter) always wins over this table.
Servers on this machine cost nothing (`target.is_free` decides which); any other
model without a price is "cost unknown", never $0. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtchat.events import MOST_USD, Cost, Notice, Usage, plausible_usd

CHECKED = "2026-11-15"  # when the built-in list prices below were last compared with the providers' pages


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cached_input: float | None = None  # None: cached tokens cost the full input price
    cache_write: float | None = None  # None: written tokens cost the full input price
    note: str = ""

    def cost(self, usage: Usage) -> Cost:
        """The turn's cost and what its cache hits saved, from the provider's usage figures."""
        total_in = usage.input_tokens or 0
        cached = min(usage.cached_tokens or 0, total_in)
        written = min(usage.cache_write_tokens or 0, total_in - cached)
        fresh = total_in - cached - written
        cached_price = self.input if self.cached_input is None else self.cached_input
        write_price = self.input if self.cache_write is None else self.cache_write
        usd = (fresh * self.input + cached * cached_price + written * write_price + (usage.output_tokens or 0) * self.output) / 1e6
        saved = cached * (self.input - cached_price) / 1e6
        return Cost(usd, "table", saved)


def turn_cost(price: Price, usage: Usage) -> Cost | Notice | None:
    """A turn's cost from the table; None (cost unknown, never $0) when the server said no token
    count; a notice instead of a cost when the counts, each believable alone, price past `MOST_USD`."""
    if usage.input_tokens is None and usage.output_tokens is None:
        return None
    cost = price.cost(usage)
    if plausible_usd(cost.usd) is None:
        return Notice(f"the server's token counts would make this turn cost {format_usd(cost.usd)}, more than rtchat believes of one turn (${MOST_USD:,.0f}); the cost is left out", "warning")
    return cost


FREE = Price(0.0, 0.0, note="runs here: no bill")

# provider/model -> price. Ids carrying a variant (`model@...`) use the base id's price.
BUILTIN_PRICES: dict[str, Price] = {
    "openai/gpt-5": Price(1.25, 10.00, 0.125),
    "openai/gpt-5-mini": Price(0.25, 2.00, 0.025),
    "openai/gpt-4.1": Price(2.00, 8.00, 0.50),
    "openai/o4-mini": Price(1.10, 4.40, 0.275),
    "openai/gpt-realtime": Price(4.00, 16.00, 0.40, note="text tokens; audio costs more"),
    "anthropic/claude-sonnet-4-5": Price(3.00, 15.00, 0.30, 3.75),
    "anthropic/claude-opus-4-1": Price(15.00, 75.00, 1.50, 18.75),
    "anthropic/claude-haiku-4-5": Price(1.00, 5.00, 0.10, 1.25),
    "gemini/gemini-2.5-pro": Price(1.25, 10.00, 0.31, note="prompts up to 200k tokens"),
    "gemini/gemini-2.5-flash": Price(0.30, 2.50, 0.075),
    "deepseek/deepseek-chat": Price(0.28, 0.42, 0.028),
    "deepseek/deepseek-reasoner": Price(0.28, 0.42, 0.028),
    "deepseek/deepseek-v4-flash": Price(0.28, 0.42, 0.028, note="the article's V4 ids, priced as deepseek-chat until DeepSeek lists them"),
    "deepseek/deepseek-v4-pro": Price(0.56, 1.68, 0.056, note="the article's V4 ids, an estimate until DeepSeek lists them"),
    "tokenpapa/deepseek-v4-flash": Price(0.28, 0.42, 0.028),
    "tokenpapa/deepseek-v4-pro": Price(0.56, 1.68, 0.056),
    # The loopback bills nothing; it shows the arithmetic with DeepSeek's prices so cache savings are visible offline.
    "loopback/*": Price(0.28, 0.42, 0.028, note="demo: DeepSeek's prices, nothing is billed"),
}


def price_for(ref: str, overrides: dict[str, Price] | None = None, free: bool = False) -> Price | None:
    """The price of `provider/model` (a config override first); FREE for a `free` server (one on
    this machine, `target.is_free`) with no price of its own; None when unknown."""
    provider, _, model = ref.partition("/")
    base = f"{provider}/{model.split('@', 1)[0]}"
    for table in (overrides or {}, BUILTIN_PRICES):
        for key in (ref, base, f"{provider}/*"):
            if key in table:
                return table[key]
    return FREE if free else None


def format_usd(amount: float) -> str:
    """$0.0021 for small sums, $1.23 for larger ones; "cost unknown" for what no bill can be
    (a sum of stored costs from before they were bounded: 1e308 + 1e308 is inf)."""
    if not math.isfinite(amount) or amount < 0:
        return "cost unknown"
    if amount == 0:
        return "$0"
    if amount < 0.00005:
        return "<$0.0001"  # never "$0.0000" for something that cost something
    if amount < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


def format_total(known_usd: float | None, unknown: int) -> str:
    """A conversation's cost: the sum of its known costs, marked as a lower bound when some answers'
    cost is unknown ("≥ $0.0021, 1 answer cost unknown"); "cost unknown" when none is known; ""
    when it has no cost at all."""
    if not unknown:
        return "" if known_usd is None else format_usd(known_usd)
    if not known_usd:
        return "cost unknown"
    return f"≥ {format_usd(known_usd)}, {unknown} answer{'s' if unknown != 1 else ''} cost unknown"

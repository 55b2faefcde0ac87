"""How a racer's figures and marks read in its column: one place, so every column reads alike."""

from __future__ import annotations

from rtchat.race import Figures, Lane

FIRST_ANSWER = "★ first to answer"
FIRST_FINISH = "⚑ first to finish"


def _ms(value: float | None) -> str:
    return "…" if value is None else f"{value:,.0f} ms"


def figure_lines(figures: Figures) -> str:
    """connect · TTFT on one line, tokens/s · cost (and what the cache saved) on the next."""
    rate = "…" if figures.tokens_per_s is None else f"{figures.tokens_per_s:,.0f} tok/s"
    if figures.cost_source == "unknown":
        cost = "cost unknown"  # a gateway or remote server that said no cost, with no price: never $0
    else:
        cost = "cost …" if figures.cost_usd is None else f"${figures.cost_usd:.6f}"
    lines = [f"connect {_ms(figures.connect_ms)} · TTFT {_ms(figures.ttft_ms)}", f"{rate} · {cost}"]
    if figures.cached_tokens:
        saved = f" · saved ${figures.saved_usd:.6f}" if figures.saved_usd else ""
        lines.append(f"cached {figures.cached_tokens:,} of {figures.input_tokens or 0:,} tokens{saved}")
    return "\n".join(lines)


def marks(lane: Lane) -> str:
    """The first-to-answer and first-to-finish markers, else how the lane stands."""
    shown = [text for text, marked in ((FIRST_ANSWER, lane.first_answer), (FIRST_FINISH, lane.first_finish)) if marked]
    if lane.reason not in (None, "complete"):
        shown.append(lane.error or lane.reason)
    elif lane.reason is None:
        shown.append("streaming…" if lane.text else "waiting…")
    return " · ".join(shown) or "done"

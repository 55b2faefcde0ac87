"""How a racer's figures and marks read in its column: one place, so every column reads alike.

Each figure says what it covers: a socket's or call's set-up happened before the
common start (so it is not in TTFT), an SSE request's connect is inside it.
"""

from __future__ import annotations

from rtchat.metrics import format_ms
from rtchat.race import Figures, Lane

FIRST_ANSWER = "★ first to answer"
FIRST_FINISH = "⚑ first to finish"
SETUP_NAMES = {"websocket": "socket", "webrtc": "call"}


def _ms(value: float | None) -> str:
    return format_ms(value, "…")


def _rate(figures: Figures) -> str:
    if figures.tokens_per_s is not None:
        return f"{figures.tokens_per_s:,.0f} tok/s"
    return "too short for a rate" if figures.total_ms is not None else "… tok/s"  # ended: never a rate over a few arrivals


def _opening(figures: Figures, protocol: str) -> str:
    if figures.setup_ms is not None:
        return f"{SETUP_NAMES.get(protocol, 'opened')} {_ms(figures.setup_ms)}, before start"
    return f"connect {_ms(figures.connect_ms)}, in TTFT"


def figure_lines(figures: Figures, protocol: str = "sse") -> str:
    """What opening cost, then TTFT · tokens/s, then the cost (and what the cache saved)."""
    if figures.cost_source == "unknown":
        cost = "cost unknown"  # a gateway or remote server that said no cost, with no price: never $0
    else:
        cost = "cost …" if figures.cost_usd is None else f"${figures.cost_usd:.6f}"
    lines = [_opening(figures, protocol), f"TTFT {_ms(figures.ttft_ms)} · {_rate(figures)}", cost]
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

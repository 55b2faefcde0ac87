"""What the status line knows, and how it fits any width: facts are dropped by priority.

Each fact has a priority (0 matters most); when the line is wider than the
terminal, the least important facts go first, so tokens/s survives at 80
columns while an answer streams. Pure: no widgets, easy to test.
"""

from __future__ import annotations

import math

from dataclasses import dataclass

from rtchat.catalog import protocol_name
from rtchat.events import Cost, Usage
from rtchat.metrics import format_ms
from rtchat.pricing import format_usd

METER_CELLS = 8
METER_FLOOR_DBFS = -60.0  # quieter than this shows an empty meter
CONTEXT_SHOWN_FROM = 0.5  # the context meter appears past half the model's window


@dataclass
class StatusFacts:
    model: str = ""
    protocol: str = "sse"
    socket: str | None = None  # a live connection's state (idle | connecting | open | reconnecting | closed)
    state: str = "idle"  # idle | connecting | waiting | thinking | streaming | done | interrupted | error
    waiting_s: float | None = None  # seconds since the request left, until the first token
    effort: str = "off"
    connect_ms: float | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    usage: Usage | None = None
    cost: Cost | None = None  # the last turn's
    total_usd: float | None = None  # the conversation's running cost
    context_tokens: int | None = None  # tokens the conversation holds now
    context_window: int | None = None
    voice: str | None = None  # None outside voice mode; else opening | idle | listening | thinking | speaking
    voice_link: str | None = None  # "WebRTC connected", "WebSocket connecting", ...
    level_dbfs: float | None = None  # the microphone's level while listening
    first_audio_ms: float | None = None  # press-to-send -> first sound of the answer
    tool_count: int = 0  # tool results in this answer so far
    tool_ms: float = 0.0  # the tools' own time in this answer
    calling: str | None = None  # the call asked or running now: "calling time_now · 1.2 s"
    underruns: int = 0  # the speaker ran dry (ALSA said so on stderr, kept off the screen)
    estimated: bool = False  # the turn's counts and cost are estimates (stopped before the server counted)
    total_estimated: bool = False  # the running cost includes an estimate

    def clear_figures(self, state: str = "idle") -> None:
        """No figure of an earlier turn stays (another model's, or the one before this)."""
        self.state, self.waiting_s, self.connect_ms, self.ttft_ms, self.tokens_per_s = state, None, None, None, None
        self.usage, self.cost, self.first_audio_ms, self.estimated = None, None, None, False
        self.tool_count, self.tool_ms, self.calling = 0, 0.0, None

    def begin_turn(self) -> None:
        """A prompt was sent: waiting from 0 s, with none of the last turn's figures beside it."""
        self.clear_figures("connecting")
        self.waiting_s = 0.0

    def reset_turn(self) -> None:
        """A new or reopened conversation: no figures of another conversation's turn stay."""
        self.clear_figures()
        self.total_usd, self.total_estimated, self.context_tokens = None, False, None


def _ms(value: float | None) -> str:
    return format_ms(value)


def duration(ms: float) -> str:
    """A tool's time: "340 ms", "1.2 s"."""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _tokens(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def usd(value: float) -> str:
    """Four places up to a dollar (a running total moves visibly); tiny sums as `format_usd` says them."""
    if 0 < value < 0.01 or not math.isfinite(value):
        return format_usd(value)  # "$0.0021", never "$0.0000" for something that cost something, nor "$inf"
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def _short(tokens: int) -> str:
    return f"{tokens / 1_000_000:.1f}M" if tokens >= 1_000_000 else f"{tokens // 1000}k" if tokens >= 1000 else str(tokens)


def level_meter(dbfs: float | None, cells: int = METER_CELLS) -> str:
    """A small bar: empty at the floor (-60 dBFS), full at 0 dBFS."""
    if dbfs is None:
        return ""
    fraction = min(1.0, max(0.0, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS))
    filled = round(fraction * cells)
    return "█" * filled + "░" * (cells - filled)


# (priority, text); the first group holds the settings, the second the figures
Part = tuple[int, str]


def _voice_parts(facts: StatusFacts, usage: Usage) -> tuple[list[Part], list[Part]]:
    voice = f"voice {facts.voice}"
    if facts.level_dbfs is not None:
        voice += f" {level_meter(facts.level_dbfs)} {facts.level_dbfs:.0f} dB"
    left = [(1, facts.model), (0, voice)]
    if facts.voice_link:
        left.append((4, facts.voice_link))
    right = [(5, f"connect {_ms(facts.connect_ms)}"), (2, f"first audio {_ms(facts.first_audio_ms)}"),
             (3, f"in {_tokens(usage.input_tokens)} out {_tokens(usage.output_tokens)}")]
    if facts.calling:  # a spoken answer's tool call, as in a typed one
        right.insert(2, (1, facts.calling))
    elif facts.tool_count:
        right.insert(2, (6, f"tools {facts.tool_count} · {duration(facts.tool_ms)}"))
    if facts.underruns:
        right.append((4, f"{facts.underruns:,} underrun{'s' if facts.underruns != 1 else ''}"))
    return left, right


def waiting_words(seconds: float) -> str:
    """The one wording of the wait before the first token, in the status line and under the answer."""
    return f"waiting for the first token · {seconds:.1f} s"


def _state(facts: StatusFacts) -> str:
    if facts.waiting_s is not None and facts.state in ("connecting", "waiting"):
        return waiting_words(facts.waiting_s)
    return facts.state


def _text_parts(facts: StatusFacts, usage: Usage) -> tuple[list[Part], list[Part]]:
    streaming = facts.state in ("streaming", "thinking")
    protocol = protocol_name(facts.protocol)
    if facts.socket and facts.socket != "idle" and facts.protocol != "sse":
        protocol += f" ({facts.socket})"  # no "(idle)": a connection made but never opened says nothing
    if facts.state == "starting":  # no model is resolved yet: its protocol and effort are not known
        return [(2, facts.model), (0, "starting")] if facts.model else [(0, "starting")], []
    left: list[Part] = [(2, facts.model), (3, protocol)]
    left += [(0, _state(facts)), (9, f"effort {facts.effort}")]
    right: list[Part] = []
    if facts.connect_ms is not None:
        right.append((11, f"connect {_ms(facts.connect_ms)}"))
    if facts.ttft_ms is not None or streaming:
        right.append((5, f"ttft {_ms(facts.ttft_ms)}"))
    if facts.tokens_per_s is not None or streaming:
        rate = "–" if facts.tokens_per_s is None else f"{facts.tokens_per_s:,.0f}"
        right.append((1 if streaming else 4, f"{rate} tok/s"))
    if facts.calling:
        right.append((1, facts.calling))
    elif facts.tool_count:
        right.append((4, f"tools {facts.tool_count} · {duration(facts.tool_ms)}"))  # kept with the rate at 80 columns: tokens in/out, cost and ttft yield first
    about = "≈" if facts.estimated else ""
    if usage.input_tokens is not None or usage.output_tokens is not None:
        right.append((6, f"in {about}{_tokens(usage.input_tokens)} out {about}{_tokens(usage.output_tokens)}"))
    if usage.cached_tokens:
        saved = f" · saved {usd(facts.cost.saved_usd)}" if facts.cost and facts.cost.saved_usd else ""
        right.append((13, f"cached {_tokens(usage.cached_tokens)} of {_tokens(usage.input_tokens)}{saved}"))
    if facts.cost is not None and (facts.cost.usd or facts.total_usd):
        total = ""
        if facts.total_usd is not None and facts.total_usd != facts.cost.usd:
            total = f" · total {'≈' if facts.total_estimated else ''}{usd(facts.total_usd)}"
        cost = usd(facts.cost.usd)
        right.append((7, f"{'' if cost.startswith('<') else about}{cost}{total}"))  # "<$0.0001" is already a bound
    elif facts.cost is None and not streaming and (usage.input_tokens is not None or usage.output_tokens is not None):
        right.append((7, "cost unknown"))  # counted but not priced (a gateway or remote server that says no cost): never $0
    meter = context_meter(facts.context_tokens, facts.context_window)
    if meter:
        right.append((8, meter))
    return left, right


def context_meter(tokens: int | None, window: int | None) -> str:
    """'context 62% of 128k' once the conversation fills more than half the model's window."""
    if not tokens or not window or tokens / window <= CONTEXT_SHOWN_FROM:
        return ""
    return f"context {min(999, round(100 * tokens / window))}% of {_short(window)}"


def _join(left: list[Part], right: list[Part]) -> str:
    head = " · ".join(text for _, text in left)
    tail = " · ".join(text for _, text in right)
    return f"{head} │ {tail}" if head and tail else head or tail


def format_status(facts: StatusFacts, width: int | None = None) -> str:
    """The line for `width` cells (None: everything), dropping the least important facts first."""
    usage = facts.usage or Usage()
    left, right = (_voice_parts if facts.voice is not None else _text_parts)(facts, usage)
    line = _join(left, right)
    if width is None:
        return line
    while len(line) > width:
        parts = left + right
        if len(parts) <= 1:
            return line[: max(0, width - 1)] + "…"
        worst = max(priority for priority, _ in parts)
        left = [p for p in left if p[0] != worst]
        right = [p for p in right if p[0] != worst]
        line = _join(left, right)
    return line

"""The collapsible reasoning section above an answer, titled with its live state."""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual.widgets import Collapsible, Static

from rtchat.catalog import EFFORTS
from rtchat.conversation import ThinkingBlock
from rtchat.ui.safe_text import literal

REDACTED = "[redacted thinking: the provider encrypted this reasoning; it is kept and sent back, never shown]"


def shown_thinking(blocks: Sequence[ThinkingBlock]) -> str:
    """What the panel shows for an answer's thinking blocks: the words of every readable block,
    in order; the redacted notice only when no block has words to show."""
    words = "".join(block.text for block in blocks if block.redacted is None)
    if not words and any(block.redacted is not None for block in blocks):
        return REDACTED
    return words


def thinking_title(state: str, seconds: float | None, tokens: int | None, approx: bool, effort: str | None) -> str:
    """'thinking… 3.2 s' while it streams, 'thought for 8.1 s · 412 tokens' after."""
    cost = ""
    if tokens:
        cost = f" · {tokens} tokens{' (approx)' if approx else ''}"
    effort_note = f" · effort {effort}" if effort else ""
    if state == "thinking":
        return f"thinking… {seconds:.1f} s{cost}"
    if state == "redacted":
        return f"thinking redacted by the provider{effort_note}"
    if state == "interrupted":
        return f"thinking interrupted after {seconds:.1f} s{cost}{effort_note}"
    if seconds is None:  # from history: the duration was not kept
        return f"thought{cost}{effort_note}"
    return f"thought for {seconds:.1f} s{cost}{effort_note}"


class ThinkingPanel(Collapsible):
    """Streams reasoning live; collapses itself when the answer begins."""

    DEFAULT_CSS = """
    ThinkingPanel { border: none; padding: 0; margin: 0 0 0 0; background: transparent; }
    ThinkingPanel > Contents { padding: 0 0 0 2; }
    ThinkingPanel .thinking-text { color: $text-muted; }
    """

    def __init__(self, effort: str | None = None, text: str = "", finished: bool = False, seconds: float | None = None) -> None:
        self.text_body = Static(literal(text), classes="thinking-text")
        super().__init__(self.text_body, title="thinking…", collapsed=finished)
        self.effort = effort
        self.source = text
        self.redacted = False
        self.deltas = 0
        self.reasoning_tokens: int | None = None
        self.started = time.perf_counter()
        self.seconds = seconds
        self.state = "thought" if finished else "thinking"
        self._shown_len = len(text)
        self._timed_by_turn = False  # the turn's clock gave the duration: the widget's own clock yields

    def on_mount(self) -> None:
        if self.opened_by_transcript():
            self.collapsed = False
        self.refresh_title()

    def opened_by_transcript(self) -> bool:
        """ctrl+t opened every answer's thinking (the transcript's `open-thinking` class): stay open."""
        return any(node.has_class("open-thinking") for node in self.ancestors)

    def show(self, blocks: Sequence[ThinkingBlock]) -> None:
        """Draw a streaming answer's thinking from its blocks (the turn's one fold), as they stand."""
        self.source = shown_thinking(blocks)
        self.redacted = any(block.redacted is not None for block in blocks)
        if self.source == REDACTED:
            self.state = "redacted"
        elif self.state == "redacted":
            self.state = "thinking"  # words came after a redacted block

    def recall(self, thinking_ms: float | None, reasoning_tokens: int | None, effort: str | None) -> None:
        """A stored answer's thinking: the time, count and effort its live title showed, as far as kept."""
        if isinstance(thinking_ms, (int, float)) and thinking_ms >= 0:
            self.seconds = thinking_ms / 1000
        self.reasoning_tokens = reasoning_tokens or self.reasoning_tokens
        if effort in EFFORTS and self.effort is None:  # a stored word, checked: only the efforts rtchat sends
            self.effort = effort

    def timed(self, thinking_ms: float | None) -> None:
        """The turn's own figure for how long it thought (its Metrics), the one the history keeps:
        the title shows it, so a redrawn answer reads the same (one clock, one figure)."""
        if thinking_ms is not None and thinking_ms >= 0:
            self.seconds, self._timed_by_turn = thinking_ms / 1000, True
            if self.state != "thinking":
                self.refresh_title()

    def mark_redacted(self) -> None:
        self.redacted = True
        if not self.source:
            self.state = "redacted"
            self.source = REDACTED

    def flush(self) -> None:
        if self._shown_len != len(self.source):
            self.text_body.update(literal(self.source))
            self._shown_len = len(self.source)
        self.refresh_title()

    def settle(self, interrupted: bool = False) -> None:
        """Thinking is over (the answer began, or the turn ended): freeze the clock and fold."""
        if self.state == "thinking":
            if not self._timed_by_turn:
                self.seconds = time.perf_counter() - self.started
            self.state = "interrupted" if interrupted else "thought"
            self.collapsed = not self.opened_by_transcript()
        self.flush()

    def refresh_title(self) -> None:
        seconds = time.perf_counter() - self.started if self.state == "thinking" else self.seconds
        if self.state == "thinking" or seconds is None:
            seconds = seconds if self.state != "thinking" else time.perf_counter() - self.started
        tokens, approx = (self.reasoning_tokens, False) if self.reasoning_tokens else (self.deltas or None, True)
        self.title = thinking_title(self.state, seconds, tokens, approx, self.effort)

"""A streamed Markdown answer as rendered lines: a sealed part that only grows, and a short tail.

Text before a cut (see markdown_blocks) is rendered once, in stretches of at most
CHUNK_CHARS, and its lines are appended to `sealed`; it is never rendered again
at this width. Only the tail (everything after the last cut) is rendered on each
frame, and at most TAIL_CHARS of it, so the cost of a frame depends on what
arrived, never on how long the answer is or how big its open block has grown.

Inside one block the cuts are used only once the open block passes SPLIT_CHARS,
so ordinary answers render exactly as Rich renders them whole. A long table then
appends rows (columns keep the widths of its first stretch), a long code block
appends lines (highlighting restarts at each stretch), and one long line of
words is wrapped a stretch at a time, carrying the last, unfinished line over.
"""

from __future__ import annotations

import re
import time

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from rtchat.sanitize import terminal_safe
from rtchat.ui.widgets.transcript.inert_markdown import InertMarkdown
from rtchat.ui.widgets.transcript.markdown_blocks import BlockScanner, Cut

Line = list[Segment]
CHUNK_CHARS = 600  # the most text one sealing step renders (Rich lays out ~60 chars of a table per ms)
SPLIT_CHARS = 1_000  # an open block longer than this is cut inside
TAIL_CHARS = 1_000  # the most of the tail one frame renders (the rest shows as it is sealed)
_MARKUP = re.compile(r"[\\`*_\[\]<>!|~]")  # inline markup: a stretch with it is not just words
_BLOCK_START = re.compile(r"^([-+*#>=]|\d+[.)])")  # a word that would open a block if a stretch began with it


class Sealer:
    """Source text in, rendered lines out; call `seal` within a time budget, then `tail`."""

    def __init__(self, dark: bool = True) -> None:
        self.dark = dark
        self._parts: list[str] = []
        self._text = ""
        self.length = 0
        self.width = 0
        self.sealed: list[Line] = []
        self.sealed_upto = 0
        self._reset_scan()

    # --- text in -------------------------------------------------------------------

    def append(self, text: str) -> None:
        self._parts.append(text)  # joined once per frame: `+=` on an attribute copies the whole answer
        self.length += len(text)

    @property
    def text(self) -> str:
        if self._parts:
            self._text += "".join(self._parts)
            self._parts.clear()
        return self._text

    def _reset_scan(self) -> None:
        self.sealed = []
        self.sealed_upto = 0
        self._scanner = BlockScanner(0)
        self._cut_index = 0
        self._continues: Cut | None = None  # the cut the unsealed text starts after, when inside a block
        self._table_widths: list[int] | None = None
        self._started = False  # something is sealed (the next block needs its separator)

    def rewidth(self, width: int) -> None:
        """A new width: everything is laid out again, a budgeted step at a time."""
        if width != self.width:
            self.width = width
            self._reset_scan()

    # --- sealing -------------------------------------------------------------------

    def seal(self, console: Console, budget_s: float, final: bool = False) -> bool:
        """Seal finished text for up to `budget_s` (at least one stretch); True when nothing is left."""
        if self.width <= 0:
            return False
        text = self.text
        self._scanner.feed(text)
        deadline = time.perf_counter() + budget_s
        while True:
            cut = self._next_cut(text, final)
            if cut is None:
                return True
            self._seal_to(console, text, cut)
            if time.perf_counter() >= deadline:
                return self._next_cut(text, final) is None

    def _next_cut(self, text: str, final: bool) -> Cut | None:
        """The furthest block cut within CHUNK_CHARS of the sealed point; inside a block only when
        the block alone passes SPLIT_CHARS; else the nearest cut beyond."""
        cuts = self._scanner.cuts
        while self._cut_index < len(cuts) and cuts[self._cut_index].at <= self.sealed_upto:
            self._cut_index += 1
        limit = self.sealed_upto + CHUNK_CHARS
        ahead = cuts[self._cut_index :]
        peeked = None if final else self._scanner.peek(text)
        if peeked is not None and peeked.at > self.sealed_upto:
            ahead = [*ahead, peeked]
        blocks = [cut for cut in ahead if cut.kind == "block"]
        next_block = blocks[0].at if blocks else (len(text) if final else None)
        long_block = (next_block if next_block is not None else len(text)) - self.sealed_upto > SPLIT_CHARS
        chosen: Cut | None = None
        for cut in ahead:
            if cut.at > limit and chosen is not None:
                break
            if cut.kind == "block" or (long_block and (next_block is None or cut.at < next_block)):
                chosen = cut
            if cut.at > limit:
                break
        if chosen is None and long_block and self._scanner.position <= self.sealed_upto + SPLIT_CHARS:
            chosen = self._words_cut(text)  # one long line: cut it between words
        if final and len(text) > self.sealed_upto and (chosen is None or len(text) <= limit):
            chosen = Cut(len(text), "end")
        return chosen

    def _words_cut(self, text: str) -> Cut | None:
        """A cut in the line still growing, just before its last whole word within CHUNK_CHARS."""
        end = min(len(text), self.sealed_upto + CHUNK_CHARS)
        space = text.rfind(" ", self.sealed_upto + 1, end)
        if space <= self.sealed_upto or "\n" in text[self.sealed_upto : space]:
            return Cut(end, "words") if end - self.sealed_upto >= CHUNK_CHARS and " " not in text[self.sealed_upto : end] else None
        return Cut(space + 1, "words")

    def _seal_to(self, console: Console, text: str, cut: Cut) -> None:
        start = self.sealed_upto
        before = self._continues
        continues = before.kind if before is not None else None
        open_end = cut.kind if cut.kind in ("row", "code", "line", "words") else None
        body = text[start : cut.at]
        if cut.kind == "words" and continues in (None, "words") and not _MARKUP.search(body):
            lines, used = self._words(console, body)
            self._append(lines, separate=continues is None)
            self.sealed_upto = start + used
            self._continues = Cut(self.sealed_upto, "words")
            return
        markdown = self._markdown(body, before, open_end)
        lines = self._render(console, markdown)
        self._append(lines, separate=continues is None)
        self._table_widths = markdown.table_widths if open_end == "row" else None
        self.sealed_upto = cut.at
        self._continues = cut if open_end else None

    def _words(self, console: Console, body: str) -> tuple[list[Line], int]:
        """Wrap plain words; keep every line but the last, which the next stretch starts with."""
        lines = self._render(console, self._markdown(body, None, None))
        if len(lines) < 2:
            return [], 0
        kept_words = sum(len("".join(segment.text for segment in line).split()) for line in lines[:-1])
        words = list(re.finditer(r"\S+", body))
        if kept_words >= len(words) or _BLOCK_START.match(words[kept_words].group()):
            return lines, len(body)
        return lines[:-1], words[kept_words].start()

    def _markdown(self, body: str, before: Cut | None, open_end: str | None) -> InertMarkdown:
        context = before.context if before is not None else ""
        continues = before.kind if before is not None and before.kind in ("row", "code") else None
        widths = self._table_widths if continues == "row" else None
        return InertMarkdown(terminal_safe(context + body), code_theme=self.code_theme, continues=continues, open_end=open_end, table_widths=widths)

    @property
    def code_theme(self) -> str:
        return "monokai" if self.dark else "friendly"

    def _render(self, console: Console, renderable) -> list[Line]:
        options = console.options.update_width(self.width).update(height=None)
        return list(Segment.split_lines(console.render(renderable, options)))

    def _append(self, lines: list[Line], separate: bool) -> None:
        if not separate and lines and not any(segment.text for segment in lines[0]):
            lines = lines[1:]  # Rich opens a list or table with a blank line; not in the middle of one
        if separate and self._started and lines and any(segment.text for segment in lines[0]):
            self.sealed.append([])  # the blank line Rich puts between blocks (a table brings its own)
        self.sealed.extend(lines)
        self._started = self._started or bool(lines)

    # --- the tail ------------------------------------------------------------------

    def tail(self, console: Console) -> tuple[list[Line], int]:
        """The unsealed text rendered (at most TAIL_CHARS of it) and how far into the source it reaches."""
        text = self.text
        start = self.sealed_upto
        end = min(len(text), start + TAIL_CHARS)
        body = text[start:end]
        if not body.strip() or self.width <= 0:
            return [], end
        before = self._continues
        markdown = self._markdown(body, before, None)
        lines = self._render(console, markdown)
        continues = before.kind if before is not None else None
        if continues is None and self._started and lines and any(segment.text for segment in lines[0]):
            lines.insert(0, [])
        elif continues is not None and lines and not any(segment.text for segment in lines[0]):
            lines = lines[1:]
        return lines, end


def plain(lines: list[Line]) -> str:
    """The text of rendered lines (tests and copy checks)."""
    return "\n".join(Text("".join(segment.text for segment in line)).plain.rstrip() for line in lines)

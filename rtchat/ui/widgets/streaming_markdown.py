"""Markdown that grows while an answer streams, at a cost independent of its length.

Deltas are only accumulated on arrival; `flush()` (called by a frame timer)
repaints at most two small widgets: the segment receiving newly *final* text
(text up to the last blank line outside a code fence, see markdown_blocks) and
the still-growing tail. A segment is sealed once it holds SEGMENT_CHARS and is
never rendered again, so neither parsing nor layout grows with the answer.
Each piece is one line-rendered widget holding Rich Markdown: far fewer widgets
for the compositor to lay out than one widget per Markdown block.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from rich.markdown import Markdown as RichMarkdown
from textual.containers import Vertical
from rich.segment import Segment
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from rtchat.ui.markdown_blocks import final_boundary
from rtchat.ui.safe_text import markdown_source

RenderedHook = Callable[[int, float], None]
SEGMENT_CHARS = 1200


def rich_markdown(text: str, dark: bool = True) -> RichMarkdown:
    """Model text as Markdown data: no console markup, no raw HTML, links revealed, syntax-highlighted code."""
    return RichMarkdown(markdown_source(text), code_theme="monokai" if dark else "friendly", hyperlinks=False)


class MarkdownPiece(Widget):
    """One rendered stretch of an answer, rendered once per change and width.

    A Line-API widget: Static would render a Rich renderable twice per change
    (once to measure its height, once to draw it).
    """

    DEFAULT_CSS = """
    MarkdownPiece { height: auto; width: 1fr; }
    """

    def __init__(self, text: str = "", dark: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.dark = dark
        self._by_width: dict[int, list[Strip]] = {}  # layout and painting may ask for different widths

    def show(self, text: str, dark: bool) -> None:
        if text != self.text or dark != self.dark:
            self.text, self.dark = text, dark
            self._by_width.clear()
            self.refresh(layout=True)

    def _lines(self, width: int) -> list[Strip]:
        strips = self._by_width.get(width)
        if strips is None:
            strips = []
            if self.text and width > 0:
                console = self.app.console
                options = console.options.update_width(width).update(height=None)
                segments = console.render(rich_markdown(self.text, self.dark), options)
                strips = [strip.adjust_cell_length(width) for strip in Strip.from_lines(list(Segment.split_lines(segments)))]
            self._by_width[width] = strips
        return strips

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        strips = self._lines(width)
        if y >= len(strips):
            return Strip.blank(width, self.rich_style)
        return strips[y].apply_style(self.rich_style)


class StreamingMarkdown(Vertical):
    """A Markdown answer fed by `append()`; call `flush()` at frame rate and `flush(final=True)` at the end."""

    DEFAULT_CSS = """
    StreamingMarkdown { height: auto; }
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = text
        self._final_upto = 0  # source[:_final_upto] can no longer change meaning
        self._segment_start = 0  # where the open segment begins
        self._rendered_upto = 0
        self._segment = MarkdownPiece(classes="segment")
        self._tail = MarkdownPiece(classes="tail")
        self._lock = asyncio.Lock()  # the frame timer and the final flush must not interleave
        self.on_rendered: list[RenderedHook] = []  # (chars now on screen, perf_counter) - for benchmarks

    def compose(self):
        yield self._segment
        yield self._tail

    @property
    def dirty(self) -> bool:
        return self._rendered_upto != len(self.source)

    def append(self, text: str) -> None:
        self.source += text

    def _dark(self) -> bool:
        try:
            return self.app.current_theme.dark
        except Exception:
            return True

    async def flush(self, final: bool = False) -> None:
        """Render what arrived since the last flush; `final` renders everything as finished."""
        if not self.dirty and not final:
            return
        async with self._lock:
            await self._paint(final)

    async def _paint(self, final: bool) -> None:
        source, dark = self.source, self._dark()
        cut = len(source) if final else final_boundary(source, self._final_upto)
        if cut > self._final_upto:
            self._final_upto = cut
            self._segment.show(source[self._segment_start : cut], dark)
            if cut - self._segment_start >= SEGMENT_CHARS and not final:
                await self._seal_segment(cut)
        self._tail.show(source[self._final_upto :], dark)
        self._rendered_upto = len(source)
        if self.on_rendered:
            self.call_after_refresh(self._report_rendered, len(source))

    async def _seal_segment(self, cut: int) -> None:
        """The open segment is full: it stays as it is; new final text goes to a fresh one."""
        self._segment_start = cut
        self._segment = MarkdownPiece(classes="segment")
        await self.mount(self._segment, before=self._tail)

    def _report_rendered(self, upto: int) -> None:
        now = time.perf_counter()
        for hook in self.on_rendered:
            hook(upto, now)

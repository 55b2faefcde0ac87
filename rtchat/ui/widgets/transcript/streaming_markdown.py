"""Markdown that grows while an answer streams, at a cost independent of its length.

Deltas are only accumulated on arrival; `flush()` (called by a frame timer)
repaints one widget: the tail, holding everything after the last sealed piece.
Once the tail holds SEGMENT_CHARS of *final* text (up to the last blank line
outside a code fence, see markdown_blocks) that text is sealed into a piece of
its own that is never rendered again, so neither parsing nor layout grows with
the answer. The tail reserves its height in steps of TAIL_STEP (2) lines, so half the
frames repaint the tail's own lines without re-laying out the screen; layout
happens when the tail outgrows its reservation or a piece is sealed.
Each piece is one line-rendered widget holding Rich Markdown: far fewer widgets
for the compositor to lay out than one widget per Markdown block.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.containers import Vertical
from rich.segment import Segment
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from rtchat.sanitize import terminal_safe
from rtchat.ui.widgets.transcript.inert_markdown import InertMarkdown
from rtchat.ui.widgets.transcript.markdown_blocks import final_boundary

RenderedHook = Callable[[int, float], None]
SEGMENT_CHARS = 1200
TAIL_STEP = 2  # lines the streaming tail reserves at a time: at most one blank row under the text


def rich_markdown(text: str, dark: bool = True) -> InertMarkdown:
    """Model text as Markdown data: no controls, no console markup, no raw HTML, links revealed, code highlighted."""
    return InertMarkdown(terminal_safe(text), code_theme="monokai" if dark else "friendly")


class MarkdownPiece(Widget):
    """One rendered stretch of an answer, rendered once per change and width.

    A Line-API widget: Static would render a Rich renderable twice per change
    (once to measure its height, once to draw it).
    """

    DEFAULT_CSS = """
    MarkdownPiece { height: auto; width: 1fr; }
    """

    def __init__(self, text: str = "", dark: bool = True, step: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.dark = dark
        self.step = step  # the height is rounded up to a multiple of this (the streaming tail)
        self._by_width: dict[int, list[Strip]] = {}  # layout and painting may ask for different widths

    def show(self, text: str, dark: bool, step: int | None = None) -> None:
        """Change the text; re-lay out the screen only when the (reserved) height changes."""
        if text == self.text and dark == self.dark and (step is None or step == self.step):
            return
        width = self.content_size.width
        before = self.height_for(width) if width > 0 and width in self._by_width else None
        self.text, self.dark = text, dark
        if step is not None:
            self.step = step
        self._by_width.clear()
        if before is not None and self.height_for(width) == before:
            self.refresh()  # same height: repaint these lines only
        else:
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

    def height_for(self, width: int) -> int:
        lines = len(self._lines(width))
        return -(-lines // self.step) * self.step

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.height_for(width)

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
        self._sealed_upto = 0  # source[:_sealed_upto] is in sealed pieces
        self._rendered_upto = 0
        self._tail = MarkdownPiece(classes="tail", step=TAIL_STEP)
        self._lock = asyncio.Lock()  # the frame timer and the final flush must not interleave
        self.on_rendered: list[RenderedHook] = []  # (chars now on screen, perf_counter) - for benchmarks

    def compose(self):
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
        if not final:
            self._final_upto = final_boundary(source, self._final_upto)
            if self._final_upto - self._sealed_upto >= SEGMENT_CHARS:
                await self._seal(self._final_upto, dark)
        self._tail.show(source[self._sealed_upto :], dark, step=1 if final else TAIL_STEP)
        self._rendered_upto = len(source)
        if self.on_rendered:
            self.call_after_refresh(self._report_rendered, len(source))

    async def _seal(self, cut: int, dark: bool) -> None:
        """The tail holds enough final text: that text becomes a piece that is never rendered again."""
        piece = MarkdownPiece(self.source[self._sealed_upto : cut], dark, classes="segment")
        self._sealed_upto = cut
        await self.mount(piece, before=self._tail)

    def _report_rendered(self, upto: int) -> None:
        now = time.perf_counter()
        for hook in self.on_rendered:
            hook(upto, now)

"""Markdown that grows while an answer streams, at a cost that follows the stream.

Deltas are only accumulated on arrival; `flush()` (called by a frame timer)
does one bounded step: text that can no longer change is sealed into rendered
lines (see sealing: between blocks, and inside a long table, code block or line),
the short tail after it is rendered again, and only the lines from the first one
that changed are repainted. The whole answer is one Line-API widget, so layout
costs the same at 20,000 tokens as at 300. The height is reserved TAIL_STEP (2)
lines at a time, so half the frames repaint without re-laying out the screen.
When the screen falls far behind (a huge table at full speed), `keep_up` makes
the turn wait a frame at a time, so keys and Ctrl-C are served between steps.
`MarkdownPiece` renders a finished message once per width (history).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from rtchat.sanitize import terminal_safe
from rtchat.ui.widgets.transcript.inert_markdown import InertMarkdown
from rtchat.ui.widgets.transcript.sealing import TAIL_CHARS, Sealer

RenderedHook = Callable[[int, float], None]
SEAL_BUDGET_S = 0.004  # the sealing work one frame may do (past one stretch); the rest waits for the next frame
BACKLOG_CHARS = 8_000  # more unsealed text than this and the answer waits for the screen (keep_up)
BEHIND_CHARS = 2 * TAIL_CHARS  # unsealed text beyond this is not shown as a tail until sealing catches up
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


class StreamingMarkdown(Widget):
    """A Markdown answer fed by `append()`; call `flush()` per frame and `flush(final=True)` at the end.

    One Line-API widget for the whole answer: sealed lines (see sealing) that only grow, then the
    tail. A frame renders what arrived (bounded, see SEAL_BUDGET_S) and repaints only the lines
    from the first one that changed; the screen is laid out again only when the height changes,
    and the height is reserved TAIL_STEP lines at a time.

    Its source text (the Sealer's) is a render cache of the turn's answer, kept on purpose rather
    than read from `turn.answer()`: the sealer scans and slices one contiguous string twice a frame
    and measures its backlog on every delta (`keep_up`), while the turn offers only whole `Answer`
    snapshots (each freezes every thinking block) and a spoken answer's words are its transcript,
    not its text. Both sides join their pieces once per read, so sharing would save no copying,
    only the ~2 bytes a character of a second string. The one fold stays the answer: what is
    stored and sent back comes from the turn, never from here, and test_answer_on_screen checks
    that this text equals the turn's answer for any stream.
    """

    DEFAULT_CSS = """
    StreamingMarkdown { height: auto; width: 1fr; }
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._sealer = Sealer()
        if text:
            self._sealer.append(text)
        self._tail: list = []
        self._reserved = 0  # the height last given to layout
        self._style: Style | None = None  # the widget's style, taken once per paint
        self._finished = False
        self._rendered_upto = 0
        self._step = TAIL_STEP
        self._lock = asyncio.Lock()  # the frame timer and the final flush must not interleave
        self.on_rendered: list[RenderedHook] = []  # (chars now on screen, perf_counter) - for benchmarks

    @property
    def source(self) -> str:
        return self._sealer.text

    @property
    def dirty(self) -> bool:
        return self._rendered_upto != self._sealer.length

    def append(self, text: str) -> None:
        self._sealer.append(text)

    def _dark(self) -> bool:
        try:
            return self.app.current_theme.dark
        except Exception:
            return True

    async def flush(self, final: bool = False) -> None:
        """Render what arrived since the last flush; `final` renders everything, a bounded step at a time."""
        if not self.dirty and not final:
            return
        async with self._lock:
            if not final:
                self._paint(False)
                return
            self._finished = True
            while not self._paint(True):
                await self._next_frame()  # keys, Ctrl-C and the screen go first between two steps

    @property
    def backlog(self) -> int:
        """Characters received and not yet sealed."""
        return self._sealer.length - self._sealer.sealed_upto

    async def keep_up(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Backpressure: while far behind, render a bounded step per frame before more text is taken.

        What was taken is what can be shown soon, so Ctrl-C stops the answer about where the
        screen is, and a stream faster than layout waits in the turn's queue, not on the screen."""
        while self.backlog > BACKLOG_CHARS and not stop():
            before = self._sealer.sealed_upto
            async with self._lock:
                self._paint(False)
            if self._sealer.sealed_upto == before:
                return  # nothing can be cut yet (no width, or one block without a cut): no waiting on it
            await self._next_frame()

    async def _next_frame(self) -> None:
        """Return once pending messages (keys among them) are handled and the screen has refreshed."""
        refreshed = asyncio.Event()
        self.call_after_refresh(refreshed.set)
        await refreshed.wait()

    def _paint(self, final: bool) -> bool:
        """One bounded step: seal what is finished, render the tail, repaint from the first changed line."""
        sealer = self._sealer
        width = self.content_size.width
        dark = self._dark()
        if dark != sealer.dark:
            sealer.dark = dark
            sealer.width = 0
        sealer.rewidth(width)
        first_changed = len(sealer.sealed)
        done = sealer.seal(self.app.console, SEAL_BUDGET_S, final)
        first_changed = min(first_changed, len(sealer.sealed))
        before = self._reserved
        if done or sealer.length - sealer.sealed_upto <= BEHIND_CHARS:
            self._tail, self._rendered_upto = sealer.tail(self.app.console)
        else:  # far behind: the time goes to sealing, the tail would be replaced by sealed lines anyway
            self._tail, self._rendered_upto = [], sealer.sealed_upto
        if final and done:
            self._step = 1
        if self._height(width) != before or width <= 0:
            self.refresh(layout=True)
        else:
            self.refresh(Region(0, first_changed, width, max(1, before - first_changed)))
        if self.on_rendered:
            self.call_after_refresh(self._report_rendered, self._rendered_upto)
        return done or width <= 0

    def _height(self, width: int = 0) -> int:
        lines = len(self._sealer.sealed) + len(self._tail)
        return -(-lines // self._step) * self._step

    def on_resize(self) -> None:
        """A new width lays the answer out again, a bounded step per frame."""
        if self.content_size.width != self._sealer.width and self._sealer.length:
            if self._finished:
                self.run_worker(self.flush(final=True), group="relayout", exclusive=True)
            else:
                self._paint(False)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._reserved = self._height(width)
        return self._reserved

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style = self.rich_style  # once per paint, not once per line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """Textual caches painted lines and asks again only for those `refresh` marked."""
        width = self.content_size.width
        style = self._style or self.rich_style
        sealed = self._sealer.sealed
        if y < len(sealed):
            line = sealed[y]
        elif y - len(sealed) < len(self._tail):
            line = self._tail[y - len(sealed)]
        else:
            return Strip.blank(width, style)
        return Strip(line).adjust_cell_length(width).apply_style(style)

    def _report_rendered(self, upto: int) -> None:
        now = time.perf_counter()
        for hook in self.on_rendered:
            hook(upto, now)

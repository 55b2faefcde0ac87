"""The scrolling list of messages: follows the tail unless the user scrolled up.

Old conversations mount lazily: only the newest messages at first, earlier
ones in pages when the user reaches the top, so a long history opens fast.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.containers import VerticalScroll
from textual.widget import Widget

PAGE = 30

WidgetFactory = Callable[[], Widget]


class Transcript(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._unmounted: list[WidgetFactory] = []  # oldest first, not yet on screen

    def on_mount(self) -> None:
        self.anchor()

    @property
    def following(self) -> bool:
        """True while new content keeps the view at the bottom."""
        return not self._anchor_released

    def jump_to_latest(self) -> None:
        self._anchor_released = False
        self.scroll_end(animate=False, immediate=True)

    async def add(self, widget: Widget) -> None:
        await self.mount(widget)

    async def clear(self) -> None:
        """Empty the transcript, for another conversation."""
        self._unmounted = []
        await self.remove_children()
        self.jump_to_latest()

    async def load_history(self, factories: list[WidgetFactory]) -> None:
        """Show a past conversation: mount the newest page now, keep the rest for scrolling up."""
        self._unmounted = list(factories[:-PAGE]) if len(factories) > PAGE else []
        newest = factories[-PAGE:]
        await self.mount_all([make() for make in newest])
        self.jump_to_latest()

    @property
    def pending_history(self) -> int:
        return len(self._unmounted)

    async def mount_earlier(self) -> None:
        if not self._unmounted:
            return
        page, self._unmounted = self._unmounted[-PAGE:], self._unmounted[:-PAGE]
        first = self.children[0] if self.children else None
        widgets = [make() for make in page]
        if first is None:
            await self.mount_all(widgets)
        else:
            await self.mount_all(widgets, before=first)
            self.call_after_refresh(lambda: self.scroll_to_widget(first, top=True, animate=False))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and self._unmounted:
            self.run_worker(self.mount_earlier(), exclusive=True, group="history")

"""The scrolling list of messages: follows the tail unless the user scrolled up.

Old conversations mount lazily: only the newest messages at first, earlier
ones in pages when the user reaches the top, so a long history opens fast.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.containers import VerticalScroll
from textual.widget import Widget

from rtchat.events import Error, Notice
from rtchat.ui.widgets.transcript.messages import AssistantMessage, ErrorMessage, MessageView, NoticeMessage
from rtchat.ui.widgets.transcript.thinking import ThinkingPanel
from rtchat.ui.widgets.transcript.tool_card import ToolCard

PAGE = 30

WidgetFactory = Callable[[], Widget]


class Transcript(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    """

    def __init__(self, welcome: WidgetFactory | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._unmounted: list[WidgetFactory] = []  # oldest first, not yet on screen
        self._welcome = welcome  # what an empty transcript shows (a first-run hint)

    async def on_mount(self) -> None:
        self.anchor()
        await self._show_welcome()

    async def _show_welcome(self) -> None:
        if self._welcome is not None and not self.children:
            await self.mount(self._welcome())

    async def _drop_welcome(self) -> None:
        for welcome in self.query("#welcome"):
            await welcome.remove()

    @property
    def empty(self) -> bool:
        """No message is on screen (the welcome may be)."""
        return not any(child.id != "welcome" for child in self.children)

    @property
    def following(self) -> bool:
        """True while new content keeps the view at the bottom."""
        return not self._anchor_released

    def jump_to_latest(self) -> None:
        self._anchor_released = False
        self.scroll_end(animate=False, immediate=True)

    async def add(self, widget: Widget) -> None:
        await self._drop_welcome()
        await self.mount(widget)

    async def show_error(self, error: Error) -> None:
        """A failure inline, in words, with what the user can do next."""
        await self.add(ErrorMessage(error.message + advice(error), error.kind))

    async def show_notice(self, notice: Notice) -> None:
        await self.add(NoticeMessage(notice.text))

    def focus_latest(self) -> None:
        """Escape from the input: a tool call that asks takes focus (y / a / n), else the newest
        message (c copies it, t toggles its thinking)."""
        asking = [card for card in self.query(ToolCard) if card.state == "asking"]
        messages = asking or list(self.query(MessageView))
        if messages:
            messages[-1].focus()
            messages[-1].scroll_visible()

    def copy_latest_answer(self) -> None:
        answers = list(self.query(AssistantMessage))
        if answers:
            answers[-1].action_copy_message()

    def open_thinking(self, opened: bool) -> None:
        """Show (or fold) the thinking text of every answer at once (ctrl+t); answers shown
        later follow (each panel reads the `open-thinking` class when it mounts or settles)."""
        self.set_class(opened, "open-thinking")
        for panel in self.query(ThinkingPanel):
            panel.collapsed = not opened

    async def clear(self) -> None:
        """Empty the transcript, for another conversation."""
        self._unmounted = []
        await self.remove_children()
        await self._show_welcome()
        self.jump_to_latest()

    async def load_history(self, factories: list[WidgetFactory]) -> None:
        """Show a past conversation: mount the newest page now, keep the rest for scrolling up."""
        self._unmounted = list(factories[:-PAGE]) if len(factories) > PAGE else []
        newest = factories[-PAGE:]
        if newest:
            await self._drop_welcome()
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


def advice(error: Error) -> str:
    """What the user can do next, when the message itself does not say."""
    if error.kind == "auth" and "rtchat keys set" not in error.message:
        return " — set a key with `rtchat keys set PROVIDER` or pick another model with ctrl+o"
    if error.retryable:
        return " — send the prompt again (Up recalls it) or pick another model with ctrl+o"
    return ""

"""The stored conversations, newest first: filter as you type, open, rename, delete."""

from __future__ import annotations

import asyncio
import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rtchat.store import ConversationSummary, Store, StoreError
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.input.inert import InertInput

LIST_BINDINGS = [
    Binding("escape", "dismiss(None)", "Close", id="conversations.close"),
    Binding("down", "move(1)", "Next", id="conversations.next", show=False),
    Binding("up", "move(-1)", "Previous", id="conversations.previous", show=False),
    Binding("f2", "rename", "Rename", id="conversations.rename", priority=True),
    # priority: the filter Input would take ctrl+d as "delete right"
    Binding("ctrl+d", "delete", "Delete", id="conversations.delete", priority=True),
]


def when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def summary_label(summary: ConversationSummary, current: int | None, width: int = 110) -> Content:
    """One row of at most `width` cells: the whole model name and the date; the title takes the rest."""
    mark = "● " if summary.id == current else "  "
    title = " ".join((summary.title or "(untitled)").split())
    tail = f"  {summary.model}  {summary.message_count:>3} msgs  {when(summary.updated)}"
    room = max(8, width - len(mark) - len(tail))
    if len(title) > room:
        title = title[: room - 1] + "…"
    return literal(f"{mark}{title:<{room}}{tail}")


class ConversationList(ModalScreen[None]):
    """Posts `Resume` with the conversation to open (and closes), `Deleted` for each one deleted."""

    BINDINGS = LIST_BINDINGS
    DEFAULT_CSS = """
    ConversationList { align: center middle; }
    ConversationList > Vertical { width: 120; max-width: 98%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    ConversationList OptionList { height: 1fr; }
    ConversationList #conversations-problem { color: $error; height: auto; }
    ConversationList .hint { color: $text-muted; }
    """

    def __init__(self, store: Store, current: int | None = None) -> None:
        super().__init__()
        self.store = store
        self.current = current
        self.shown: list[ConversationSummary] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Conversations — filter · Enter opens · F2 renames · ctrl+d deletes · Esc", classes="hint", markup=False)
            yield InertInput(placeholder="filter titles", id="conversations-filter")
            yield OptionList(id="conversations")
            yield Static("", id="conversations-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.call_after_refresh(self.reload)  # once the list's width is known: rows fit it

    @property
    def options(self) -> OptionList:
        return self.query_one("#conversations", OptionList)

    @work(exclusive=True, group="list")
    async def reload(self) -> None:
        """List again with the current filter (read on a thread: never SQLite on the event loop),
        keeping the highlight where it was if possible."""
        wanted = self.selected_id()
        try:
            self.shown = await asyncio.to_thread(self.store.list_conversations, self.query_one(Input).value)
        except StoreError as exc:
            self.shown = []
            self.query_one("#conversations-problem", Static).update(str(exc))
        options = self.options
        options.clear_options()
        width = (options.scrollable_content_region.width or min(120, int(self.app.size.width * 0.98)) - 8) - 1
        options.add_options([Option(summary_label(s, self.current, width), id=str(s.id)) for s in self.shown])
        ids = [s.id for s in self.shown]
        if ids:
            options.highlighted = ids.index(wanted) if wanted in ids else 0

    def selected(self) -> ConversationSummary | None:
        index = self.options.highlighted
        return self.shown[index] if index is not None and 0 <= index < len(self.shown) else None

    def selected_id(self) -> int | None:
        summary = self.selected() if self.is_mounted and self.shown else None
        return summary.id if summary else None

    @on(Input.Changed, "#conversations-filter")
    def _filter(self) -> None:
        self.reload()

    @on(Input.Submitted, "#conversations-filter")
    def _open_highlighted(self) -> None:
        summary = self.selected()
        if summary is not None:
            self.post_message(self.Resume(summary.id))

    @on(OptionList.OptionSelected, "#conversations")
    def _open_chosen(self, event: OptionList.OptionSelected) -> None:
        self.post_message(self.Resume(int(event.option.id)))

    def action_move(self, step: int) -> None:
        if step > 0:
            self.options.action_cursor_down()
        else:
            self.options.action_cursor_up()

    def action_rename(self) -> None:
        from rtchat.ui.screens.rename import RenameDialog  # deferred: a screen loads when first opened, off the app's first frame

        summary = self.selected()
        if summary is None:
            return

        def renamed(title: str | None) -> None:
            if title:
                self._change(lambda: self.store.rename(summary.id, title))

        self.app.push_screen(RenameDialog(summary.title), renamed)

    def action_delete(self) -> None:
        from rtchat.ui.screens.confirm import ConfirmDialog  # deferred: a screen loads when first opened, off the app's first frame

        summary = self.selected()
        if summary is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._change(lambda: self.store.delete(summary.id))
                self.post_message(self.Deleted(summary.id))

        question = f"Delete “{summary.title or '(untitled)'}” and its {summary.message_count} messages? This cannot be undone."
        self.app.push_screen(ConfirmDialog(question), confirmed)

    @work(group="change")
    async def _change(self, change) -> None:
        try:
            await asyncio.to_thread(change)
        except (StoreError, KeyError) as exc:
            self.query_one("#conversations-problem", Static).update(str(exc))
        self.reload()

    class Resume(Message):
        """Open this stored conversation and continue it; the list closes as it bubbles to the app."""

        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class Deleted(Message):
        """A conversation is gone; the app starts afresh if it was the open one."""

        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    @on(Resume)
    def _close(self) -> None:
        self.dismiss()

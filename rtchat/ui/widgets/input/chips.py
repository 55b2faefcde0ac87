"""Attachment chips: a file's name and size, above the input while pending and in the sent prompt."""

from __future__ import annotations

from textual import events
from textual.containers import HorizontalGroup
from textual.message import Message
from textual.widgets import Static

from rtchat.attachments import Attachment
from rtchat.ui.safe_text import literal


def chip_text(attachment: Attachment) -> str:
    return f"{attachment.name} · {attachment.size_label}"


class Chip(Static):
    """One file; a pending one (removable) ends in ✕ and is removed by a click."""

    DEFAULT_CSS = """
    Chip { width: auto; height: 1; padding: 0 1; margin: 0 1 0 0; background: $boost; color: $text; }
    Chip.removable:hover { background: $error 40%; }
    """

    class Removed(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, attachment: Attachment, index: int, removable: bool = False) -> None:
        label = chip_text(attachment) + (" ✕" if removable else "")
        super().__init__(literal(label), classes="removable" if removable else "")
        self.index = index
        self.removable = removable

    def on_click(self, event: events.Click) -> None:
        if self.removable:
            event.stop()
            self.post_message(self.Removed(self.index))


class ChipRow(HorizontalGroup):
    """A line of chips; hidden when there are none."""

    DEFAULT_CSS = """
    ChipRow { height: auto; display: none; }
    ChipRow.shown { display: block; }
    """

    def __init__(self, attachments: list[Attachment] | None = None, removable: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.removable = removable
        self.attachments = list(attachments or [])
        self.set_class(bool(self.attachments), "shown")

    def compose(self):
        for index, attachment in enumerate(self.attachments):
            yield Chip(attachment, index, self.removable)

    async def show(self, attachments: list[Attachment]) -> None:
        self.attachments = list(attachments)
        await self.remove_children()
        await self.mount_all([Chip(a, i, self.removable) for i, a in enumerate(attachments)])
        self.set_class(bool(attachments), "shown")

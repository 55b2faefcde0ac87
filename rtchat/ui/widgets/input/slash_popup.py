"""The completion list that opens above the input while a slash command is typed."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rtchat.sanitize import terminal_safe
from rtchat.ui.controllers.slash import Completion


class SlashPopup(OptionList, can_focus=False):
    """Never takes focus: the input keeps it and moves the highlight (Up/Down, Tab/Enter take it)."""

    DEFAULT_CSS = """
    SlashPopup { height: auto; max-height: 8; border: none; padding: 0 1; background: $panel; display: none; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.items: list[Completion] = []

    def offer(self, items: list[Completion]) -> None:
        if not items and not self.items:
            return  # ordinary typing: nothing to redo on each key
        self.items = items
        self.clear_options()
        width = max((len(item.label) for item in items), default=0)
        self.add_options([Option(row(item, width)) for item in items])
        self.display = bool(items)
        if items:
            self.highlighted = 0

    def close(self) -> None:
        self.offer([])

    @property
    def open(self) -> bool:
        return bool(self.items) and self.display

    @property
    def chosen(self) -> Completion | None:
        index = self.highlighted
        return self.items[index] if self.items and index is not None and index < len(self.items) else None

    def move(self, step: int) -> None:
        if self.items:
            self.highlighted = ((self.highlighted or 0) + step) % len(self.items)


def row(item: Completion, width: int) -> Content:
    """Label, then help in a column after the widest label; literal (file names are not markup)."""
    label = Content.styled(terminal_safe(item.label).ljust(width), "bold")
    if not item.help:
        return label
    return Content.assemble(label, "  ", Content.styled(terminal_safe(item.help), "dim"))

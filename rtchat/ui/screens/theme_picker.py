"""Choose a theme with live preview: highlighting applies it, Esc restores the old one."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ThemePicker(ModalScreen[None]):
    """Previews by setting the app's theme; posts `Chosen` (to be saved) when one is kept."""

    class Chosen(Message):
        def __init__(self, theme: str) -> None:
            super().__init__()
            self.theme = theme

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="theme_picker.cancel")]
    DEFAULT_CSS = """
    ThemePicker { align: center middle; }
    ThemePicker > Vertical { width: 50; height: auto; max-height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    ThemePicker OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, names: list[str], current: str) -> None:
        super().__init__()
        self.names = names
        self.original = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Theme — arrows preview · Enter keeps · Esc")
            yield OptionList(*[Option(Content(name), id=name) for name in self.names], id="theme-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.original in self.names:
            options.highlighted = self.names.index(self.original)
        options.focus()

    @on(OptionList.OptionHighlighted)
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        self.app.theme = event.option.id

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.post_message(self.Chosen(event.option.id))

    @on(Chosen)
    def _close(self) -> None:
        self.dismiss()

    def action_cancel(self) -> None:
        self.app.theme = self.original
        self.dismiss(None)

"""Ask for a conversation's new title."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rtchat.ui.widgets.input.inert import InertInput


class RenameDialog(ModalScreen[str | None]):
    """Dismisses with the new title, or None when cancelled or left empty."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="rename.cancel")]
    DEFAULT_CSS = """
    RenameDialog { align: center middle; }
    RenameDialog > Vertical { width: 80; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self.current = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New title — Enter to save, Esc to cancel", markup=False)
            yield InertInput(self.current, id="rename-input", select_on_focus=True)  # a title is a prompt's words

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#rename-input")
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

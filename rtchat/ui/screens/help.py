"""F1: every key binding, with the user's remaps applied, and how to remap."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rtchat.ui.bindings import SECTIONS, effective_key


def help_text(keymap: dict[str, str]) -> str:
    lines = []
    for title, bindings in SECTIONS:
        lines.append(title)
        for binding in bindings:
            key = effective_key(binding, keymap)
            lines.append(f"  {key:<28} {binding.description or binding.action:<16} (id: {binding.id})")
        lines.append("")
    lines.append("ctrl+p opens the command palette: every action by name.")
    lines.append("Remap keys in the config file under [keys], e.g.  pick_model = \"f2\"")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: 80%; border: thick $primary; background: $surface; padding: 1 2; }
    """

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Keys", classes="title")
            yield Static(help_text(self.keymap), markup=False, id="help-text")

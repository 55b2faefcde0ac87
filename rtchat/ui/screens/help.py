"""F1: every key binding, with the user's remaps applied, and how to remap."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rtchat.ui.bindings import SECTIONS, effective_key
from rtchat.ui.controllers.slash import SLASH_COMMANDS
from rtchat.ui.web_keys import moved_keys_line


def help_text(keymap: dict[str, str], web: bool = False) -> str:
    """Columns as wide as their widest entry, so the table fits 80 columns without wrapping;
    `web`: in a browser tab, a line on the keys the browser keeps."""
    rows = [(title, [(effective_key(b, keymap), b.description or b.action, b.id or "") for b in bindings]) for title, bindings in SECTIONS]
    key_width = max(len(key) for _, entries in rows for key, _, _ in entries)
    text_width = max(len(text) for _, entries in rows for _, text, _ in entries)
    lines = [f"  {'key':<{key_width}}  {'does':<{text_width}}  id (remap under [keys])", ""]
    for title, entries in rows:
        lines.append(title)
        for key, text, binding_id in entries:
            lines.append(f"  {key:<{key_width}}  {text:<{text_width}}  {binding_id}")
        lines.append("")
    lines.append("Slash commands (type / in the input; Tab or Enter completes, // sends a leading /)")
    usage_width = max(len(c.usage) for c in SLASH_COMMANDS)
    lines += [f"  {c.usage:<{usage_width}}  {c.help}" for c in SLASH_COMMANDS]
    lines.append("")
    lines.append("ctrl+p opens the command palette: every action by name.")
    lines.append("Remap keys in the config file under [keys], e.g.  pick_model = \"f12\"")
    if web:
        lines += ["", moved_keys_line(keymap)]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: 80%; border: thick $primary; background: $surface; padding: 1 2; }
    """

    def __init__(self, keymap: dict[str, str], web: bool = False) -> None:
        super().__init__()
        self.keymap = keymap
        self.web = web

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Keys", classes="title")
            yield Static(help_text(self.keymap, self.web), markup=False, id="help-text")

"""Show and change the conversation's system prompt: the text, how long it is, the personas to pick from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.input.inert import InertTextArea


class SystemPromptScreen(ModalScreen[str | None]):
    """Dismisses with the new prompt ("" clears it), or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="system_prompt.save", priority=True),
        Binding("escape", "dismiss(None)", "Cancel", id="system_prompt.cancel"),
    ]
    DEFAULT_CSS = """
    SystemPromptScreen { align: center middle; }
    SystemPromptScreen > Vertical { width: 76; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    SystemPromptScreen TextArea { height: 10; }
    SystemPromptScreen .hint { color: $text-muted; }
    """

    def __init__(self, current: str | None, personas: list[str], persona: str | None = None) -> None:
        super().__init__()
        self.current = current or ""
        self.personas = personas
        self.persona = persona

    def compose(self) -> ComposeResult:
        with Vertical():
            title = "System prompt for this conversation" + (f" (persona {self.persona})" if self.persona else "")
            yield Static(literal(title))
            yield InertTextArea(self.current, soft_wrap=True, id="system-text")
            yield Static(literal(self._count()), classes="hint", id="system-count")
            known = ", ".join(self.personas) if self.personas else "none: add [personas.NAME] to the config"
            yield Static(literal(f"personas: {known} — /persona NAME applies one"), classes="hint")
            yield Static("ctrl+s saves (empty clears) · Esc cancels", classes="hint", markup=False)

    def _count(self) -> str:
        text = self.query_one(TextArea).text if self.is_mounted else self.current
        return f"{len(text.strip())} characters · sent with every turn of this conversation"

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_text_area_changed(self) -> None:
        self.query_one("#system-count", Static).update(literal(self._count()))

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip())

"""Ask for a provider's API key (masked) and store it in the OS keyring; never shown back."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rtchat.catalog import Provider
from rtchat.secrets import KeyStoreUnavailable, set_key


class KeyEntry(ModalScreen[bool]):
    """Dismisses with True once a key is stored; shows why when it cannot be."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="key_entry.cancel")]
    DEFAULT_CSS = """
    KeyEntry { align: center middle; }
    KeyEntry > Vertical { width: 80; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    KeyEntry #key-problem { color: $error; margin-top: 1; }
    """

    def __init__(self, provider: Provider) -> None:
        super().__init__()
        self.provider = provider

    def compose(self) -> ComposeResult:
        env = " or ".join(self.provider.key_env) or "an environment variable"
        with Vertical():
            yield Static(f"{self.provider.label} needs an API key.", markup=False)
            yield Static(f"It is stored in the OS keyring (or set {env}). Enter to save, Esc to cancel.", markup=False)
            yield Input(password=True, placeholder="paste the key", id="key-input")
            yield Static("", id="key-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#key-input")
    def _store(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        problem = self.query_one("#key-problem", Static)
        if not value:
            problem.update("The key is empty.")
            return
        try:
            set_key(self.provider, value)
        except KeyStoreUnavailable as exc:
            event.input.value = ""  # the key must not linger on screen or in memory longer than needed
            problem.update(str(exc))
            return
        event.input.value = ""
        self.dismiss(True)

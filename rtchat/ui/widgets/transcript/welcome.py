"""What an empty transcript says: the three things a newcomer needs, with their real keys."""

from __future__ import annotations

from textual.widgets import Static

from rtchat.ui.bindings import key_for
from rtchat.ui.web_keys import NEWLINE_HINT, SERVER_MACHINE


def welcome_text(keymap: dict[str, str], web: bool = False) -> str:
    """`web`: in a browser tab, where the newline keys differ (shift+enter sends) and the keys are the tab's."""
    def key(binding_id: str) -> str:
        return key_for(binding_id, keymap)

    typing = f"• {NEWLINE_HINT}.\n" if web else "• Type a message and press Enter (ctrl+j adds a line).\n"
    return (
        "Welcome to rtchat\n\n"
        f"{typing}"
        "• The built-in loopback model answers offline: no key, no network.\n"
        f"• {key('pick_model')} picks a model and asks for its API key.\n"
        f"• {key('cycle_protocol')} switches protocol: SSE, WebSocket, WebRTC.\n"
        f"• {key('help').upper()} lists every key; ctrl+p finds every command."
        + (f"\n• {SERVER_MACHINE}" if web else "")
    )


class Welcome(Static):
    """Shown while the transcript is empty; the first message replaces it."""

    DEFAULT_CSS = """
    Welcome { padding: 1 2; margin: 1 0; color: $text-muted; border: round $primary 50%; height: auto; }
    """

    def __init__(self, keymap: dict[str, str], web: bool = False) -> None:
        super().__init__(welcome_text(keymap, web), markup=False, id="welcome")

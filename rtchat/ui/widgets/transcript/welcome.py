"""What an empty transcript says: the three things a newcomer needs, with their real keys."""

from __future__ import annotations

from textual.widgets import Static

from rtchat.ui.bindings import key_for


def welcome_text(keymap: dict[str, str]) -> str:
    def key(binding_id: str) -> str:
        return key_for(binding_id, keymap)

    return (
        "Welcome to rtchat\n\n"
        "• Type a message and press Enter (ctrl+j adds a line).\n"
        "• The built-in loopback model answers offline: no key, no network.\n"
        f"• {key('pick_model')} picks a model and asks for its API key.\n"
        f"• {key('cycle_protocol')} switches protocol: SSE, WebSocket, WebRTC.\n"
        f"• {key('help').upper()} lists every key; ctrl+p finds every command."
    )


class Welcome(Static):
    """Shown while the transcript is empty; the first message replaces it."""

    DEFAULT_CSS = """
    Welcome { padding: 1 2; margin: 1 0; color: $text-muted; border: round $primary 50%; height: auto; }
    """

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__(welcome_text(keymap), markup=False, id="welcome")

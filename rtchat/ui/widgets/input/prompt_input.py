"""The multi-line prompt: Enter sends, ctrl+j (or alt+enter) breaks the line, Up/Down recall."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from rtchat.ui import alt_enter
from rtchat.ui.bindings import INPUT_BINDINGS

alt_enter.install()  # alt+enter arrives as its own key, not as Enter
PLACEHOLDER = "Message rtchat — Enter sends · ctrl+j new line · F1 keys"


class PromptInput(TextArea):
    """Stays usable while an answer streams; sending posts `Submitted`."""

    BINDINGS = INPUT_BINDINGS
    DEFAULT_CSS = """
    PromptInput { height: auto; min-height: 3; max-height: 12; border: tall $primary 40%; }
    PromptInput:focus { border: tall $primary; }
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("placeholder", PLACEHOLDER)
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", compact=False, **kwargs)
        self.sent: list[str] = []
        self._recall_index: int | None = None  # position in history while recalling

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            # TextArea would insert a newline before bindings see the key; Enter sends here.
            event.stop()
            event.prevent_default()
            self.action_send()
            return
        await super()._on_key(event)

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            return
        self.sent.append(text)
        self._recall_index = None
        self.clear()
        self.post_message(self.Submitted(text))

    def action_newline(self) -> None:
        self.insert("\n")

    def _recalling(self) -> bool:
        return self._recall_index is not None and self.text == self.sent[self._recall_index]

    def action_history_previous(self) -> None:
        if self.sent and (not self.text or self._recalling()):
            index = len(self.sent) - 1 if self._recall_index is None else max(0, self._recall_index - 1)
            self._show_recalled(index)
        else:
            self.action_cursor_up()

    def action_history_next(self) -> None:
        if self._recalling():
            if self._recall_index + 1 < len(self.sent):
                self._show_recalled(self._recall_index + 1)
            else:
                self._recall_index = None
                self.clear()
        else:
            self.action_cursor_down()

    def _show_recalled(self, index: int) -> None:
        self._recall_index = index
        self.load_text(self.sent[index])
        self.move_cursor(self.document.end)

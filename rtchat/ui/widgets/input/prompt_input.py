"""The multi-line prompt: Enter sends, ctrl+j (or alt+enter) breaks the line, Up/Down recall.

A line starting with `/` is a slash command: a popup offers completions (Tab or
Enter takes one, Up/Down move, Escape closes it) and Enter posts `Command`
rather than `Submitted`; the app clears the input once the command has run, so
a mistyped one is kept to fix.
"""

from __future__ import annotations

from textual import events
from textual.message import Message

from rtchat.ui import alt_enter, fast_paste
from rtchat.ui.bindings import INPUT_BINDINGS
from rtchat.ui.controllers.slash import enter_completes, is_command, literal_message, looks_like_path
from rtchat.ui.widgets.input.inert import InertTextArea
from rtchat.ui.widgets.input.slash_popup import SlashPopup

alt_enter.install()  # alt+enter arrives as its own key, not as Enter
fast_paste.install()  # a bracketed paste is parsed whole, not a character at a time
PLACEHOLDER = "Message rtchat — Enter sends · ctrl+j new line · F1 keys"
# A paste longer than this goes with the prompt as a file instead: a TextArea re-lays out its
# whole text, so 256 KB in the input costs ~0.8 s to paste and 5 MB froze the app for seconds a key.
LARGE_PASTE = 32 * 1024


class PromptInput(InertTextArea):
    """Stays usable while an answer streams; sending posts `Submitted`."""

    BINDINGS = INPUT_BINDINGS
    DEFAULT_CSS = """
    PromptInput { height: auto; min-height: 3; max-height: 12; border: tall $primary 40%; }
    PromptInput:focus { border: tall $primary; }
    PromptInput.-sharing, PromptInput.-sharing:focus { border: tall $error; }
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Command(Message):
        """A slash command line; the input keeps it until `accept_command`."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class PathPasted(Message):
        """A lone path to an existing file was pasted into the empty input."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    class LargePaste(Message):
        """A paste over LARGE_PASTE characters: offered as a text attachment, the input left alone."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class EmptyBackspace(Message):
        """Backspace in the empty input: the last pending attachment goes."""

    class EditorRequested(Message):
        """Open the input's text in the user's editor."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("placeholder", PLACEHOLDER)
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", compact=False, **kwargs)
        self.sent: list[str] = []
        self._recall_index: int | None = None  # position in history while recalling
        self.popup: SlashPopup | None = None  # given by the Composer that holds both

    async def on_key(self, event: events.Key) -> None:
        """Runs before TextArea's own key handler (Textual walks the classes from this one down);
        a key taken here stops it with `prevent_default`, any other goes on to TextArea."""
        if self._popup_key(event.key):
            event.stop()
            event.prevent_default()
            return
        if event.key == "backspace" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.EmptyBackspace())
            return
        if event.key == "enter":
            # TextArea would insert a newline before bindings see the key; Enter sends here.
            event.stop()
            event.prevent_default()
            self.action_send()
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self and active.binding.action == "newline":
            # Here, in turn with the keys around it: as a binding it ran once the key came back up
            # unhandled, after the keys that followed it (a burst, as a browser tab's WebSocket
            # batches them, turned a, ctrl+j, b into "ab\n").
            event.stop()
            event.prevent_default()
            self.action_newline()

    def _popup_key(self, key: str) -> bool:
        """Keys the open completion popup takes; True when it took this one."""
        popup = self.popup
        if popup is None or not popup.open:
            return False
        if key in ("up", "down"):
            popup.move(-1 if key == "up" else 1)
        elif key == "escape":
            popup.close()
        elif key == "tab" or (key == "enter" and enter_completes(self.text, popup.chosen)):
            self.take_completion()
        else:
            return False
        return True

    def take_completion(self) -> None:
        chosen = self.popup.chosen if self.popup is not None else None
        if chosen is not None:
            self.load_text(chosen.text)
            self.move_cursor(self.document.end)

    async def _on_paste(self, event: events.Paste) -> None:
        large = len(event.text) > LARGE_PASTE
        path = None if large or self.text else looks_like_path(event.text)
        if path is None and not large:
            return  # TextArea's own handler (Textual calls each class's) inserts the text
        event.stop()
        event.prevent_default()
        self.post_message(self.LargePaste(event.text) if large else self.PathPasted(path))

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            return
        if is_command(text):
            if self.popup is not None:
                self.popup.close()
            self.post_message(self.Command(text))
            return
        self._accept(text)
        self.post_message(self.Submitted(literal_message(text)))

    def accept_command(self) -> None:
        """The command ran: it joins the recalled lines and the input empties."""
        self._accept(self.text)

    def action_open_editor(self) -> None:
        self.post_message(self.EditorRequested(self.text))

    def _accept(self, text: str) -> None:
        self.sent.append(text)
        self._recall_index = None
        self.clear()

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

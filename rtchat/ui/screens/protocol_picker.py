"""All protocols for the current model; unusable ones are disabled with the reason, and ones
that work only in part (WebRTC without a microphone: text only; a socket whose frames carry
no tools while the conversation's tools are on) say so."""

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

from rtchat.catalog import PROTOCOL_NAMES
from rtchat.target import Target
from rtchat.tools.approval import ConversationTools
from rtchat.ui.choices import IMPLEMENTED_PROTOCOLS

NO_TOOLS = "no tools over this socket; SSE offers them"
SSE_TOOLS = "offers this conversation's tools"


def tool_notes(session, target: Target, choices: ConversationTools) -> dict[str, str]:
    """With tools on (an SSE turn would offer some), each protocol whose frames carry none (the
    DeepSeek V4 socket) says so and points at SSE, which says it offers them; else nothing."""
    if "sse" not in target.info.protocols or not session.tool_servers(target, "sse", choices):
        return {}
    toolless = {p: NO_TOOLS for p in target.info.protocols if p != "sse" and p in IMPLEMENTED_PROTOCOLS and not session.carries_tools(target, p)}
    return {**toolless, "sse": SSE_TOOLS} if toolless else {}


class ProtocolPicker(ModalScreen[None]):
    """Posts `Chosen` with the protocol picked, and closes."""

    class Chosen(Message):
        def __init__(self, protocol: str) -> None:
            super().__init__()
            self.protocol = protocol

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="protocol_picker.cancel")]
    DEFAULT_CSS = """
    ProtocolPicker { align: center middle; }
    ProtocolPicker > Vertical { width: 80; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    ProtocolPicker OptionList { height: auto; }
    """

    def __init__(self, model: str, options: list[tuple[str, str | None]], current: str, notes: dict[str, str] | None = None) -> None:
        super().__init__()
        self.model = model
        self.options = options
        self.current = current
        self.notes = notes or {}

    def compose(self) -> ComposeResult:
        items = []
        for protocol, reason in self.options:
            mark = "● " if protocol == self.current else "  "
            note = reason or self.notes.get(protocol) or ("" if protocol in IMPLEMENTED_PROTOCOLS else "supported by the model; not implemented in rtchat yet")
            label = f"{mark}{PROTOCOL_NAMES[protocol]:<10} {note}"
            items.append(Option(Content(label), id=protocol, disabled=reason is not None))
        with Vertical():
            yield Static(Content(f"Protocol for {self.model} — Enter to choose, Esc to cancel"))
            yield OptionList(*items, id="protocol-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [p for p, _ in self.options]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.post_message(self.Chosen(event.option.id))

    @on(Chosen)
    def _close(self) -> None:
        self.dismiss()

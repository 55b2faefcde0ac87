"""The article's DeepSeek V4 WebSocket: `{"type": "chat"}` out, `token` frames back until `done`.

Exactly the format the article shows (DeepSeek's public docs do not list it):
the client sends `{"type": "chat", "messages": [...], "model": M, "stream":
true}` on `wss://HOST/v4/chat`; the server answers `{"type": "token",
"content": "..."}` frames, then `{"type": "done"}`. An `{"type": "error"}`
frame is an error; a frame type rtchat does not know is shown as a notice,
never dropped silently. There is no cancel message, so an interrupt closes the
socket. Every turn carries the whole conversation, so a fresh socket needs no
rebuilding. Pure: no I/O.
"""

from __future__ import annotations

from rtchat.conversation import Conversation, has_words
from rtchat.events import Done, Error, Event, Notice, TextDelta
from rtchat.wire.base import preview
from rtchat.wire.openai_chat import usage_from
from rtchat.wire.socket_protocol import FrameQueues, ServerContext, decode_frame

PATH = "/v4/chat"
NO_TOOLS = "no tools over this socket; use --protocol sse"  # the article's frames have no field for tools


def chat_message(model: str, conversation: Conversation) -> dict:
    """The one client frame: the whole conversation, as Chat Completions messages."""
    messages: list[dict] = [{"role": "system", "content": conversation.system}] if conversation.system else []
    messages += [{"role": m.role, "content": m.text} for m in conversation.messages if m.role != "assistant" or has_words(m.text)]
    return {"type": "chat", "messages": messages, "model": model, "stream": True}


def decode_payload(payload: dict) -> list[Event]:
    kind = payload.get("type")
    if kind == "token":
        content = payload.get("content")
        return [TextDelta(content)] if isinstance(content, str) and content else []
    if kind == "done":
        usage = payload.get("usage")
        return (usage_from(usage) if isinstance(usage, dict) else []) + [Done("complete")]
    if kind == "error":
        error = payload.get("error", payload.get("message"))
        message = error.get("message") if isinstance(error, dict) else error
        return [Error("server", f"the server reported an error: {preview(str(message or 'no message'))}"), Done("error")]
    return [Notice(f"skipped a frame of unknown type {preview(str(kind))!r}", "warning")]


class DeepSeekSocketProtocol(FrameQueues):
    """One `/v4/chat` socket; one answer at a time; no opening exchange."""

    ready = True  # the server sends nothing before the first request

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.context = ServerContext()  # stays empty: every turn carries the whole conversation
        self.answering = False  # a `chat` went out and its `done` (or error) has not come back

    def begin(self) -> None:
        self._events.clear()
        self._outgoing.clear()
        self.answering = False

    def receive_data(self, data: str | bytes) -> None:
        """Decode one frame; what arrives with no answer open (a second `done`) is skipped with a
        notice, so it can never end the next turn."""
        events = decode_frame(data, decode_payload)
        if not self.answering and any(isinstance(e, (Done, TextDelta)) for e in events):
            kind = "done" if any(isinstance(e, Done) for e in events) else "token"
            events = [Notice(f"the server sent a `{kind}` frame with no answer open (a protocol error); rtchat skipped it", "warning")]
        elif any(isinstance(e, Done) for e in events):
            self.answering = False
        self._events += events

    def send_turn(self, conversation: Conversation) -> None:
        self.send(chat_message(self.model, conversation))
        self.answering = True

    def send_cancel(self) -> None:
        """No cancel message exists: the connection closes the socket instead."""

    def answered(self, text: str) -> None:
        """The server keeps no conversation, so there is nothing to remember."""

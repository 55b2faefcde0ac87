"""What the socket protocol objects share: frame queues and the server's view of the conversation.

In python-websockets' `Protocol` style, a protocol object does no I/O: the
connection owner hands it what arrived (`receive_data`) and takes out the
events it made (`events_received`) and the frames to write (`data_to_send`).
That keeps every rule about a session (what to resend on a fresh socket, when a
refused request ends a turn, which resumption handle to offer) testable
without sockets, and the same for text turns and voice.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from rtchat.conversation import ChatMessage
from rtchat.events import Event, Notice
from rtchat.wire.base import preview

Known = tuple[str, str]  # (role, text) of a message the server holds


def fits(known: list[Known], history: list[Known]) -> bool:
    """Whether the server's context can serve this history by adding messages only.

    The server may be behind (send what it lacks) or ahead by what the caller
    dropped: an interrupted partial answer or an unanswered prompt, both of which
    the server keeps. Anything else means the history was edited.
    """
    return history[: len(known)] == known or known[: len(history)] == history


class ServerContext:
    """The messages the server holds for this session, so a turn sends only what is new."""

    def __init__(self, known: list[Known] | None = None) -> None:
        self.known: list[Known] = list(known or [])

    def serves(self, messages: list[ChatMessage]) -> bool:
        """Whether the session can answer the last message without forgetting anything first."""
        return fits(self.known, [(m.role, m.text) for m in messages[:-1]])

    def unsent(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        """What the server lacks, earlier messages first (at least the latest one)."""
        history = [(m.role, m.text) for m in messages[:-1]]
        behind = history[: len(self.known)] == self.known
        return list(messages[len(self.known) :]) if behind else list(messages[-1:])

    def sent(self, messages: list[ChatMessage]) -> None:
        self.known = [(m.role, m.text) for m in messages]

    def answered(self, text: str) -> None:
        self.known.append(("assistant", text))


def decode_frame(data: str | bytes, decode: Callable[[dict], list[Event]]) -> list[Event]:
    """One JSON frame through `decode`; whatever the frame, a warning at worst, never an exception."""
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        return [Notice(f"skipped a malformed frame: {preview(str(data)[:200])}", "warning")]
    if not isinstance(payload, dict):
        return [Notice(f"skipped a frame that is not a message: {preview(str(data)[:200])}", "warning")]
    try:
        return decode(payload)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        return [Notice(f"skipped a frame rtchat could not read ({type(exc).__name__})", "warning")]


def dump(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class FrameQueues:
    """The two queues of a protocol object; subclasses decode in `receive_data` and queue with `send`."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._outgoing: list[str] = []

    def send(self, payload: dict) -> None:
        """Queue one client message (any the session has no method for: a voice session's own events)."""
        self._outgoing.append(dump(payload))

    def events_received(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[str]:
        frames, self._outgoing = self._outgoing, []
        return frames

    def setup_failed(self) -> None:
        """The opening exchange did not complete (hook: forget what made it fail)."""

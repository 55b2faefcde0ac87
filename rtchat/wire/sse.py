"""Bytes in, Server-Sent Events out: a sans-I/O framer for the event-stream format.

What a byte stream needs on top of the format's line and field rules: incremental
UTF-8 decoding that survives multi-byte characters split across chunks, a hard cap
on how much an unfinished event may buffer (a 100 MB frame is refused, not
buffered), and dispatch of a final event that has no trailing blank line. The field
rule (WHATWG "interpret an event stream") is written out here, and the event is
rtchat's own small `ServerSentEvent`, so `wire/` imports no HTTP library.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from rtchat.errors import ProtocolFailure
from rtchat.wire.sse_lines import LineSplitter

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event; an event with no `event:` field is a "message", as the format says."""

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def __post_init__(self) -> None:
        if not self.event:
            object.__setattr__(self, "event", "message")


class FrameTooLarge(ProtocolFailure, ValueError):
    """An event grew past the framer's limit; the stream cannot be trusted further."""


class EventFields:
    """Collects the fields of one event line by line; a blank line dispatches it."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id = ""  # kept across events, as the spec says
        self._retry: int | None = None

    def line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment, e.g. a keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None  # anything else is ignored

    def _dispatch(self) -> ServerSentEvent | None:
        """The spec's rule: an event without data lines is dropped, its type with it."""
        event = None
        if self._data:
            event = ServerSentEvent(event=self._event, data="\n".join(self._data), id=self._id, retry=self._retry)
        self._event, self._data = "", []
        return event


class SSEFramer:
    """Feed raw bytes in any split; get whole events back in order."""

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lines = LineSplitter()
        self._fields = EventFields()
        self._max = max_event_bytes
        self._pending = 0  # characters since the last dispatched event

    @property
    def buffered_chars(self) -> int:
        """How much of an unfinished line the framer holds."""
        return self._lines.pending_chars

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        return self._consume(self._utf8.decode(chunk), final=False)

    def close(self) -> list[ServerSentEvent]:
        """End of stream: dispatch whatever complete-enough event is left."""
        return self._consume(self._utf8.decode(b"", final=True), final=True)

    def _consume(self, text: str, final: bool) -> list[ServerSentEvent]:
        self._pending += len(text)
        if self._pending > self._max:
            raise FrameTooLarge(f"an event exceeded {self._max // (1024 * 1024)} MB")
        lines = self._lines.split(text)
        if final:
            lines += [*self._lines.flush(), ""]  # a last event with no trailing blank line still counts
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._fields.line(line)
            if event is not None:
                events.append(event)
            if not line:
                self._pending = self._lines.pending_chars  # an event ended: count afresh
        return events

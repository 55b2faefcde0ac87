"""Bytes in, Server-Sent Events out: a sans-I/O framer over httpx-sse's own decoders.

httpx-sse does the SSE line and field parsing; this adds what a byte stream
needs on top: incremental UTF-8 decoding that survives multi-byte characters
split across chunks, a hard cap on how much an unfinished event may buffer
(a 100 MB frame is refused, not buffered), and dispatch of a final event that
has no trailing blank line.
"""

from __future__ import annotations

import codecs

from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024


class FrameTooLarge(ValueError):
    """An event grew past the framer's limit; the stream cannot be trusted further."""


class SSEFramer:
    """Feed raw bytes in any split; get whole events back in order."""

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lines = SSELineDecoder()
        self._events = SSEDecoder()
        self._max = max_event_bytes
        self._pending = 0  # characters since the last dispatched event

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        text = self._utf8.decode(chunk)
        return self._consume(text, final=False)

    def close(self) -> list[ServerSentEvent]:
        """End of stream: dispatch whatever complete-enough event is left."""
        text = self._utf8.decode(b"", final=True)
        events = self._consume(text, final=True)
        return events

    def _consume(self, text: str, final: bool) -> list[ServerSentEvent]:
        self._pending += len(text)
        if self._pending > self._max:
            raise FrameTooLarge(f"an event exceeded {self._max // (1024 * 1024)} MB")
        lines = self._lines.decode(text) if text else []
        if final:
            lines += self._lines.flush()
            lines.append("")  # a last event with no trailing blank line still counts
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._events.decode(line)
            if event is not None:
                events.append(event)
            if not line:
                self._pending = sum(len(piece) for piece in self._lines.buffer)
        return events

"""Decode a whole byte stream the way the transport does, for pure tests."""

from __future__ import annotations

from rtchat.events import Done, Error, Event, TextDelta, ThinkingDelta, Usage
from rtchat.wire import WIRES
from rtchat.wire.sse import SSEFramer


def decode_chunks(wire: str, chunks: list[bytes]) -> list[Event]:
    framer, decoder = SSEFramer(), WIRES[wire].decoder()
    events: list[Event] = []
    for chunk in chunks:
        for sse in framer.feed(chunk):
            events.extend(decoder.feed(sse))
    for sse in framer.close():
        events.extend(decoder.feed(sse))
    events.extend(decoder.finish())
    return events


def summary(events: list[Event]) -> dict:
    usages = [e for e in events if isinstance(e, Usage)]
    last = usages[-1] if usages else None
    return {
        "text": "".join(e.text for e in events if isinstance(e, TextDelta)),
        "thinking": "".join(e.text for e in events if isinstance(e, ThinkingDelta)),
        "usage": None
        if last is None
        else {
            "input_tokens": last.input_tokens,
            "output_tokens": last.output_tokens,
            "cached_tokens": last.cached_tokens,
            "reasoning_tokens": last.reasoning_tokens,
        },
        "done": events[-1].reason if events and isinstance(events[-1], Done) else None,
        "error": any(isinstance(e, Error) for e in events),
    }

"""The byte-level framer: any split of the stream gives the same events."""

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from rtchat.wire.sse import FrameTooLarge, SSEFramer
from rtchat.wire.sse_lines import LineSplitter

STREAM = (
    b": keep-alive\r\n\r\n"
    b"event: message_start\r\ndata: {\"a\": \"caf\xc3\xa9 \xe2\x9c\x93\"}\r\n\r\n"
    b"data: line one\ndata: line two\n\n"
    b"data: {\"padded\": true}   \r\n\r\n"
    b"data: last without blank line"
)


def frames(chunks):
    framer = SSEFramer()
    out = []
    for chunk in chunks:
        out += [(e.event, e.data) for e in framer.feed(chunk)]
    return out + [(e.event, e.data) for e in framer.close()]


def test_whole_stream_events():
    assert frames([STREAM]) == [
        ("message_start", '{"a": "café ✓"}'),
        ("message", "line one\nline two"),
        ("message", '{"padded": true}   '),
        ("message", "last without blank line"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_gives_same_events(cuts):
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)])]
    assert frames(chunks) == frames([STREAM])


def test_invalid_utf8_is_replaced_not_fatal():
    assert frames([b"data: ok \xff\xfe", b"\n\n"]) == [("message", "ok \ufffd\ufffd")]


def test_oversized_event_is_refused_not_buffered():
    framer = SSEFramer(max_event_bytes=1024)
    framer.feed(b"data: " + b"x" * 1000)
    with pytest.raises(FrameTooLarge):
        framer.feed(b"x" * 100)


def test_many_small_events_never_trip_the_limit():
    framer = SSEFramer(max_event_bytes=1024)
    total = 0
    for _ in range(2000):
        total += len(framer.feed(b"data: {\"x\": 1}\n\n"))
    assert total == 2000


def test_lone_cr_ends_lines_too():
    assert frames([b"data: a\rdata: b\r\r", b"data: c\r\n\r\n"]) == [("message", "a\nb"), ("message", "c")]


def test_blocks_without_data_dispatch_nothing():
    """The spec's rule: an id, event or retry without data is no event, so keep-alives after an id stay silent."""
    assert frames([b"id: 7\n\n\n\nevent: ping\n\nretry: 10\n\ndata: x\n\n"]) == [("message", "x")]
    framer = SSEFramer()
    (event,) = framer.feed(b"id: 7\n\ndata: x\n\n")
    assert event.id == "7"


def test_every_two_cuts_of_mixed_line_ends_give_the_same_lines():
    text = "a\r\n\nb\r\rc\n\r\nd"
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            splitter = LineSplitter()
            lines = [line for piece in (text[:first], text[first:second], text[second:]) for line in splitter.split(piece)]
            assert lines + splitter.flush() == ["a", "", "b", "", "c", "", "d"], (first, second)

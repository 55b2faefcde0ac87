"""Hostile input for every decoder: random bytes, mutated and truncated real streams,
deep JSON, huge frames, invalid UTF-8 across chunk edges. No exception, no hang,
bounded memory, and the text before the fault is kept."""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtchat.events import Done, TextDelta
from rtchat.wire.sse import FrameTooLarge, SSEFramer
from tests.support.streams import decode_chunks
from tests.support.wire_fixtures import CASES, wire_for

WIRES = ["openai_chat", "anthropic", "gemini", "openai_responses"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def text(events):
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def chunked(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]


@pytest.mark.parametrize("wire", WIRES)
@FUZZ
@given(data=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=8))
def test_random_bytes_never_raise(wire, data, cuts):
    events = decode_chunks(wire, chunked(data, cuts))
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1


@pytest.mark.parametrize("wire", WIRES)
@FUZZ
@given(frames=st.lists(st.one_of(st.text(max_size=80), st.sampled_from(['{"choices":[{"delta":{"content":1}}]}', '{"type":"content_block_delta","delta":null}', '{"candidates":[{"content":{"parts":[{"text":5}]}}]}', '{"type":"response.output_text.delta","delta":{}}', "[DONE]", "null", "[]", '{"error":"x"}'])), max_size=12))
def test_wrong_shaped_json_never_raises(wire, frames):
    raw = "".join(f"data: {f.replace(chr(10), ' ').replace(chr(13), ' ')}\n\n" for f in frames).encode()
    events = decode_chunks(wire, [raw])
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
@FUZZ
@given(data=st.data())
def test_truncated_real_stream_keeps_the_text_before_the_cut(path, data):
    raw = path.read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    full = text(decode_chunks(wire_for(path), [raw]))
    partial = decode_chunks(wire_for(path), [raw[:cut]])
    assert full.startswith(text(partial)) and isinstance(partial[-1], Done)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
@FUZZ
@given(data=st.data())
def test_mutated_real_stream_never_raises(path, data):
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    events = decode_chunks(wire_for(path), [bytes(raw)])
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize("wire", WIRES)
def test_deeply_nested_json_is_a_warning_not_a_crash(wire):
    deep = b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n"
    events = decode_chunks(wire, [b'data: {"choices":[{"delta":{"content":"kept"}}]}\n\n' if wire == "openai_chat" else b"", deep])
    assert isinstance(events[-1], Done)
    if wire == "openai_chat":
        assert text(events) == "kept"


def test_a_100_mb_frame_is_refused_without_buffering_it():
    framer = SSEFramer()
    block = b"x" * (4 * 1024 * 1024)
    with pytest.raises(FrameTooLarge):
        for _ in range(25):  # 100 MB offered; refused at the 16 MB limit
            framer.feed(block)
    assert framer.buffered_chars <= 20 * 1024 * 1024


@FUZZ
@given(st.text(max_size=200), st.integers(0, 600))
def test_utf8_split_anywhere_decodes_the_same(s, cut):
    raw = f'data: {{"choices":[{{"delta":{{"content":{__import__("json").dumps(s)}}}}}]}}\n\ndata: [DONE]\n\n'.encode()
    cut = cut % (len(raw) + 1)
    assert decode_chunks("openai_chat", [raw[:cut], raw[cut:]]) == decode_chunks("openai_chat", [raw])

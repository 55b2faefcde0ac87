"""The socket protocol objects are pure: frames in, events and frames out, no I/O.

Properties: any sequence of frames gives the same events (and the same frames
to send) whether they are taken out after each frame or all at once at the end,
and no frame, however broken, raises. Then the rules the objects own: what a
turn sends on a fresh or a known session, and Live's resumption handle.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Error, TextDelta
from rtchat.wire.base import RequestOptions
from rtchat.wire.gemini_live import LiveProtocol
from rtchat.wire.openai_realtime import RealtimeProtocol
from rtchat.wire.openai_responses import ResponsesSocketProtocol

REALTIME = [
    {"type": "session.created", "session": {"type": "realtime"}},
    {"type": "response.created"},
    {"type": "response.output_item.added", "item": {"type": "message", "id": "item_1"}},
    {"type": "response.output_text.delta", "delta": "Hel"},
    {"type": "response.output_audio.delta", "delta": "AAAA"},
    {"type": "response.output_audio_transcript.delta", "delta": "lo"},
    {"type": "response.done", "response": {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 2}}},
    {"type": "response.done", "response": {"status": "failed", "status_details": {"error": {"message": "no"}}}},
    {"type": "error", "error": {"code": "invalid_value", "message": "bad"}},
    {"type": "response.output_text.delta", "delta": 7},
]
LIVE = [
    {"setupComplete": {}},
    {"serverContent": {"modelTurn": {"parts": [{"text": "Hi"}, {"text": "hmm", "thought": True}]}}},
    {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": "AAAA"}}]}}},
    {"serverContent": {"outputTranscription": {"text": "hi"}, "inputTranscription": {"text": "yo"}}},
    {"serverContent": {"turnComplete": True}},
    {"serverContent": {"interrupted": True}},
    {"usageMetadata": {"promptTokenCount": 4, "responseTokenCount": 2}},
    {"sessionResumptionUpdate": {"newHandle": "h-1", "resumable": True}},
    {"goAway": {"timeLeft": "1s"}},
    {"serverContent": {"modelTurn": {"parts": "not a list"}}},
]
RESPONSES = [
    {"type": "response.output_text.delta", "delta": "a"},
    {"type": "response.reasoning_summary_text.delta", "delta": "b"},
    {"type": "response.completed", "response": {"status": "completed", "usage": {"input_tokens": 1}}},
    {"type": "error", "status": 401, "error": {"message": "bad key"}},
    {"type": "error", "error": {"message": "oops"}},
    {"type": "response.reasoning_summary_part.added", "summary_index": "x"},
]

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
garbage = st.one_of(st.text(max_size=40), st.binary(max_size=40), json_values.map(json.dumps))


def frames_of(known: list[dict]):
    return st.lists(st.one_of(st.sampled_from(known).map(json.dumps), garbage), max_size=25)


def protocols():
    return {
        "realtime": (lambda: _started(RealtimeProtocol(["text"])), REALTIME),
        "live": (lambda: _started(LiveProtocol("m", ["TEXT"])), LIVE),
        "responses": (lambda: _started(ResponsesSocketProtocol("m")), RESPONSES),
    }


def _started(protocol):
    protocol.begin()
    protocol.data_to_send()
    return protocol


def _split_invariant(make, frames: list) -> None:
    one_by_one, at_once = make(), make()
    events, sent = [], []
    for frame in frames:
        one_by_one.receive_data(frame)
        events += one_by_one.events_received()
        sent += one_by_one.data_to_send()
    for frame in frames:
        at_once.receive_data(frame)
    assert at_once.events_received() == events
    assert at_once.data_to_send() == sent


@settings(max_examples=150, deadline=None)
@given(frames=frames_of(REALTIME))
def test_realtime_is_split_invariant_and_never_raises(frames):
    _split_invariant(protocols()["realtime"][0], frames)


@settings(max_examples=150, deadline=None)
@given(frames=frames_of(LIVE))
def test_live_is_split_invariant_and_never_raises(frames):
    _split_invariant(protocols()["live"][0], frames)


@settings(max_examples=150, deadline=None)
@given(frames=frames_of(RESPONSES))
def test_responses_is_split_invariant_and_never_raises(frames):
    _split_invariant(protocols()["responses"][0], frames)


def sent_types(protocol) -> list[str]:
    return [json.loads(frame)["type"] for frame in protocol.data_to_send()]


def test_realtime_asks_for_text_once_the_session_exists_and_resends_only_what_is_new():
    protocol = RealtimeProtocol(["text"])
    protocol.begin()
    assert not protocol.ready and protocol.data_to_send() == []
    protocol.receive_data(json.dumps(REALTIME[0]))
    assert protocol.ready and sent_types(protocol) == ["session.update"]
    conversation = Conversation([ChatMessage("user", "one"), ChatMessage("assistant", "1"), ChatMessage("user", "two")], system="brief")
    protocol.send_turn(conversation)
    assert sent_types(protocol) == ["session.update", "conversation.item.create", "conversation.item.create", "conversation.item.create", "response.create"]
    protocol.answered("2")
    conversation.messages += [ChatMessage("assistant", "2"), ChatMessage("user", "three")]
    protocol.send_turn(conversation)
    assert sent_types(protocol) == ["conversation.item.create", "response.create"]


def test_a_refused_realtime_request_ends_the_turn_but_an_error_mid_answer_does_not():
    protocol = _started(RealtimeProtocol(["text"]))
    protocol.send_turn(Conversation([ChatMessage("user", "hi")]))
    protocol.receive_data(json.dumps({"type": "error", "error": {"code": "bad", "message": "no"}}))
    assert [type(e) for e in protocol.events_received()] == [Error, Done]
    protocol.send_turn(Conversation([ChatMessage("user", "hi")]))
    for frame in (REALTIME[1], REALTIME[3], {"type": "error", "error": {"code": "x"}}):
        protocol.receive_data(json.dumps(frame))
    assert [type(e) for e in protocol.events_received()] == [TextDelta, Error]


def test_live_resumes_with_its_handle_and_the_context_the_server_held_then():
    protocol = LiveProtocol("m", ["TEXT"], system="brief")
    protocol.begin()
    [setup] = [json.loads(f) for f in protocol.data_to_send()]
    assert setup["setup"]["sessionResumption"] == {} and setup["setup"]["systemInstruction"]["parts"][0]["text"] == "brief"
    protocol.receive_data(json.dumps({"setupComplete": {}}))
    protocol.send_turn(Conversation([ChatMessage("user", "one")]))
    protocol.answered("1")
    protocol.receive_data(json.dumps(LIVE[7]))  # a new handle: the server holds one + 1
    protocol.receive_data(json.dumps(LIVE[8]))
    assert protocol.going_away
    protocol.data_to_send()
    protocol.begin()  # the next socket
    [setup] = [json.loads(f) for f in protocol.data_to_send()]
    assert setup["setup"]["sessionResumption"] == {"handle": "h-1"} and not protocol.going_away
    protocol.send_turn(Conversation([ChatMessage("user", "one"), ChatMessage("assistant", "1"), ChatMessage("user", "two")]))
    [turn] = [json.loads(f) for f in protocol.data_to_send()]
    assert turn["clientContent"]["turns"] == [{"role": "user", "parts": [{"text": "two"}]}], "nothing is sent twice"
    protocol.setup_failed()
    assert protocol.handle is None, "a stale handle does not block the next try"


def test_responses_sends_the_whole_conversation_without_transport_fields():
    protocol = _started(ResponsesSocketProtocol("m"))
    protocol.send_turn(Conversation([ChatMessage("user", "a"), ChatMessage("assistant", "b"), ChatMessage("user", "c")]), RequestOptions())
    [frame] = [json.loads(f) for f in protocol.data_to_send()]
    assert frame["type"] == "response.create" and [m["content"] for m in frame["input"]] == ["a", "b", "c"]
    assert "stream" not in frame and "background" not in frame

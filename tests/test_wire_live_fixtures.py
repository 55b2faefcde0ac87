"""Realtime and Live decoders against recorded server frames (sources: tests/fixtures/README.md)."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rtchat.events import AudioChunk, Done, Error, Notice, TextDelta, ThinkingDelta, Transcript, Usage
from rtchat.wire.gemini_live import LiveDecoder, activity_start, client_content, realtime_audio, setup
from rtchat.wire.openai_realtime import RealtimeDecoder, audio_append, item_truncate, session_update

WS = Path(__file__).parent / "fixtures" / "ws"


def decode(decoder, name):
    events = []
    for line in (WS / f"{name}.jsonl").read_text().splitlines():
        if line.strip():
            events += decoder.feed_text(line)
    return decoder, events


def text_of(events, kind):
    return "".join(e.text for e in events if isinstance(e, kind))


def test_realtime_text_turn():
    _, events = decode(RealtimeDecoder(), "openai_realtime_text")
    assert text_of(events, TextDelta) == "Your name is Alice, and your favorite color is teal!"
    assert events[-2] == Usage(149, 14, 0, None) and events[-1] == Done("complete")


def test_realtime_audio_transcript_and_audio():
    _, events = decode(RealtimeDecoder(), "openai_realtime_audio_transcript")
    assert "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant") == "Hi there!"
    assert sum(1 for e in events if isinstance(e, AudioChunk) and e.rate == 24000 and e.pcm) == 4


def test_realtime_cancelled_response_and_error_event():
    _, events = decode(RealtimeDecoder(), "openai_realtime_cancelled_error")
    assert Done("interrupted") in events
    assert any(isinstance(e, Error) and "invalid_event" in e.message for e in events)


def test_live_text_audio_thoughts_usage():
    _, events = decode(LiveDecoder(), "gemini_live_text_audio")
    assert text_of(events, ThinkingDelta).startswith("**Crafting a Greeting**")
    assert "".join(e.text for e in events if isinstance(e, Transcript)) == "Hello there."
    assert events[-1] == Done("complete") and isinstance(events[-2], Usage) and events[-2].input_tokens == 1131


def test_live_resumption_handle_goaway_and_interrupted():
    decoder, events = decode(LiveDecoder(), "gemini_live_resumption_toolcall")
    assert decoder.resumption_handle == "95e91930-b35b-482b-8880-17efc49ec2f2"
    assert "".join(e.text for e in events if isinstance(e, Transcript)) == "It is foggy and 12 degrees in London."
    decoder, events = decode(LiveDecoder(), "gemini_live_interrupted_goaway")
    assert Done("interrupted") in events and decoder.go_away_in == "10s"
    assert any(isinstance(e, Notice) for e in events) and decoder.resumption_handle == "test_handle"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_garbage_frames_never_raise(frame):
    for decoder in (RealtimeDecoder(), LiveDecoder()):
        for event in decoder.feed_text(frame):
            assert isinstance(event, (Notice, TextDelta, Transcript, Done, Error, Usage, AudioChunk, ThinkingDelta))


def test_client_messages_use_ga_and_live_names():
    update = session_update(["text"], "be brief")
    assert update["session"]["type"] == "realtime" and update["session"]["audio"]["input"]["turn_detection"] is None
    assert audio_append(b"\x01\x00")["audio"] == "AQA="
    assert item_truncate("item_1", 1500) == {"type": "conversation.item.truncate", "item_id": "item_1", "content_index": 0, "audio_end_ms": 1500}
    assert setup("gemini-live-2.5-flash-preview", ["TEXT"], resumption_handle="h")["setup"]["sessionResumption"] == {"handle": "h"}
    assert realtime_audio(b"\x00\x00")["realtimeInput"]["audio"]["mimeType"] == "audio/pcm;rate=16000"
    assert activity_start() == {"realtimeInput": {"activityStart": {}}}
    from rtchat.conversation import ChatMessage

    assert client_content([ChatMessage("user", "hi"), ChatMessage("assistant", "yo")])["clientContent"]["turns"][1]["role"] == "model"

"""The voice session's signals are decoded in wire/, from each provider's own words,
and the session's verbs are said in them: Realtime and Gemini Live each through its
own protocol object (no socket: frames in, events and frames out)."""

from __future__ import annotations

import base64
import json

from rtchat.events import AnswerAudioStarted, AnswerAudioStopped, AudioChunk, Done, SpeechStarted, SpeechStopped, Transcript, Truncated, Usage
from rtchat.wire.gemini_live_voice import LiveVoiceProtocol
from rtchat.wire.openai_realtime import RealtimeProtocol


def realtime_events(*payloads: dict) -> list:
    protocol = RealtimeProtocol(dialect="ga")
    for payload in payloads:
        protocol.receive_data(json.dumps(payload))
    return protocol.events_received()


def test_realtime_speech_edges_carry_their_milliseconds():
    assert realtime_events(
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1200},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 3400},
        {"type": "output_audio_buffer.started"},
        {"type": "output_audio_buffer.cleared"},
        {"type": "conversation.item.truncated", "audio_end_ms": 640},
    ) == [SpeechStarted(1200), SpeechStopped(3400), AnswerAudioStarted(), AnswerAudioStopped(), Truncated(640)]


def test_realtime_beta_audio_names_and_nonsense_milliseconds():
    pcm = b"\x01\x00" * 4
    events = realtime_events(
        {"type": "response.audio.delta", "delta": base64.b64encode(pcm).decode()},
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": "soon"},
    )
    assert events == [AudioChunk(pcm, 24000), SpeechStarted(0)]


def sent(protocol) -> list[dict]:
    return [json.loads(frame) for frame in protocol.data_to_send()]


def test_realtime_barge_in_cancels_only_a_live_answer_and_truncates_what_was_heard():
    protocol = RealtimeProtocol(dialect="ga")
    protocol.receive_data(json.dumps({"type": "response.created"}))
    protocol.receive_data(json.dumps({"type": "response.output_item.added", "item": {"id": "item_7", "type": "message"}}))
    protocol.send_barge_in(420, webrtc=True)
    assert [m["type"] for m in sent(protocol)] == ["response.cancel", "output_audio_buffer.clear", "conversation.item.truncate"]
    protocol.receive_data(json.dumps({"type": "response.done", "response": {"status": "cancelled"}}))
    protocol.send_barge_in(None)
    assert sent(protocol) == []  # nothing playing, nothing heard: nothing to say


def live_frame(protocol: LiveVoiceProtocol, message: dict) -> list:
    protocol.receive_data(json.dumps(message))
    return protocol.events_received()


def test_live_push_to_talk_is_one_activity_per_turn():
    protocol = LiveVoiceProtocol("echo")
    protocol.begin()
    protocol.data_to_send()  # setup
    protocol.send_speech_begins()
    protocol.send_barge_in(300)  # a barge-in while the activity is open keeps it
    protocol.send_audio(b"\x00\x00")
    protocol.send_speech_ends()
    assert protocol.sent_log == ["activityStart", "audio", "activityEnd"]
    assert protocol.response_active


def test_live_hands_free_infers_where_speech_starts_and_stops():
    protocol = LiveVoiceProtocol("echo", hands_free=True)
    protocol.begin()
    protocol.send_speech_begins()
    protocol.send_speech_ends()
    assert protocol.sent_log == []  # Live refuses activity messages when it detects them itself
    said = live_frame(protocol, {"serverContent": {"inputTranscription": {"text": "hello"}}})
    assert said == [SpeechStarted()]  # the words are held until their turn begins
    pcm = b"\x02\x00" * 4
    answer = live_frame(protocol, {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": base64.b64encode(pcm).decode()}}]}}})
    assert answer == [SpeechStopped(), Transcript("user", "hello", final=True), AudioChunk(pcm, 24000)]
    live_frame(protocol, {"usageMetadata": {"promptTokenCount": 3, "responseTokenCount": 2}})
    ended = live_frame(protocol, {"serverContent": {"turnComplete": True}})
    assert ended[-1] == Done("complete") and isinstance(ended[0], Usage) and ended[0].output_tokens == 2


def test_live_going_away_is_no_notice_for_a_voice_session():
    protocol = LiveVoiceProtocol("echo")
    protocol.begin()
    assert live_frame(protocol, {"goAway": {"timeLeft": "1s"}}) == []
    assert protocol.going_away


def test_an_odd_length_audio_part_keeps_its_whole_samples():
    """Issue 23: `ask --audio-in` to Gemini Live died with a ValueError on an odd-length part."""
    protocol = LiveVoiceProtocol("echo")
    protocol.begin()
    odd = b"\x01\x00\x02"
    events = live_frame(protocol, {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": base64.b64encode(odd).decode()}}]}}})
    assert events == [AudioChunk(b"\x01\x00", 24000)]
    assert realtime_events({"type": "response.output_audio.delta", "delta": base64.b64encode(odd).decode()}) == [AudioChunk(b"\x01\x00", 24000)]

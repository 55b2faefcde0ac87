"""WebRTC end to end against the loopback peer: offer/answer over HTTP, events
on `oai-events`, the spoken turn on the Opus track and the answer back on it."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.events import AudioChunk, Done, Metrics, TextDelta, Transcript
from rtchat.transports.webrtc import RealtimeCall, WebRTCError, calls_url
from rtchat.voice.ptt import VoiceState
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.voice import heard_seconds, loopback_voice, run_spoken_turn, speech_wav, wav_speech_seconds


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("speech"))


async def test_a_wav_spoken_over_webrtc_is_heard_and_answered_in_voice(loopback, speech):
    source = wav_source(speech)
    states: list = []
    voice = await loopback_voice(loopback, Capture(source), ClockSpeaker, on_state=states.append)
    await voice.start(open_microphone=False)
    assert voice.connection == "connected" and voice.latency["connect_ms"] > 0  # measured; how fast is the bench's business, not a test's

    async def talk() -> None:
        voice.capture.start()
        await source.finished.wait()

    events = await run_spoken_turn(voice, source, talk)
    await voice.close()
    await voice.http_client.aclose()
    answer = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    expected = wav_speech_seconds(speech)
    assert abs(heard_seconds(answer) - expected) <= max(0.1 * expected, 0.1), (answer, expected)
    assert any(isinstance(e, Transcript) and e.role == "user" and e.final for e in events)
    audio = [e for e in events if isinstance(e, AudioChunk)]
    seconds = sum(len(e.pcm) for e in audio) / 2 / audio[0].rate
    assert abs(seconds - source.duration) < 0.6  # the echo model speaks the user's audio back
    assert isinstance(events[-1], Done) and events[-1].reason == "complete"
    assert not any(isinstance(e, Metrics) for e in events)  # the exchange's SpokenTurn makes the figures, from its clock
    assert 0 < voice.turn.clock.first_audio_ms and voice.latency["first_audio_ms"] == round(voice.turn.clock.first_audio_ms, 2)
    assert states == [VoiceState.LISTENING, VoiceState.THINKING, VoiceState.SPEAKING, VoiceState.IDLE]
    record = loopback.records[-1]
    assert record.path == "/v1/realtime/calls" and record.outcome == "complete"


async def test_text_only_session_over_webrtc(loopback, speech):
    source = wav_source(speech)
    voice = await loopback_voice(loopback, Capture(source), ClockSpeaker, modalities=("text",))
    await voice.start(open_microphone=False)

    async def talk() -> None:
        voice.capture.start()
        await source.finished.wait()

    events = await run_spoken_turn(voice, source, talk)
    await voice.close()
    await voice.http_client.aclose()
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text.startswith("heard ") and not any(isinstance(e, AudioChunk) for e in events)


async def test_a_refused_offer_is_one_clear_line_fast(loopback):
    call = RealtimeCall(lambda e: None, lambda *a: None)
    async with httpx.AsyncClient() as client:
        with pytest.raises(WebRTCError, match="refused the WebRTC offer: the key was rejected \\(401\\)"):
            await call.connect(client, calls_url(loopback.url + "/v1", "fault-401"), None)
        with pytest.raises(WebRTCError, match="refused the WebRTC offer \\(404\\)"):
            await RealtimeCall(lambda e: None, lambda *a: None).connect(client, calls_url(loopback.url + "/v1", "no-such-model"), None)
        with pytest.raises(WebRTCError, match="could not reach 127.0.0.1"):
            await RealtimeCall(lambda e: None, lambda *a: None).connect(client, "http://127.0.0.1:9/v1/realtime/calls", None)
    assert call.state == "closed"
    assert [r.path for r in loopback.records if r.path == "/v1/realtime/calls"] == [], "a refused offer is not a call"


def test_ask_audio_in_prints_the_reply_and_saves_the_audio(tmp_path, speech):
    out = tmp_path / "answer.wav"
    command = rtchat_cmd("ask", "-m", "loopback/echo", "--audio-in", str(speech), "--protocol", "webrtc", "--jsonl", "--save-audio", str(out))
    result = subprocess.run(command, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [line["type"] for line in lines]
    assert kinds[-2:] == ["metrics", "done"] and lines[-1]["reason"] == "complete"
    metrics = lines[-2]  # one clock: TTFT is the first answer event; the voice figures ride along
    assert 0 < metrics["ttft_ms"] and 0 < metrics["first_audio_ms"] and metrics["speech_to_audio_ms"] == metrics["first_audio_ms"]
    assert metrics["output_chunks"] == sum(1 for line in lines if line["type"] == "transcript" and line["role"] == "assistant")
    answer = "".join(line["text"] for line in lines if line["type"] == "transcript" and line["role"] == "assistant")
    assert abs(heard_seconds(answer) - wav_speech_seconds(speech)) <= 0.1 * wav_speech_seconds(speech) + 0.05
    assert "audio" in kinds and out.exists() and wav_speech_seconds(out) > 0.8 * wav_speech_seconds(speech)  # the echo of the speech was kept
    text = subprocess.run(rtchat_cmd("ask", "-m", "loopback/echo", "--audio-in", str(speech)), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert text.returncode == 0 and text.stdout.startswith("heard ") and "you said:" in text.stderr


def test_ask_audio_in_explains_what_cannot_work(tmp_path, speech):
    missing = subprocess.run(rtchat_cmd("ask", "--audio-in", str(tmp_path / "nope.wav")), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "cannot read --audio-in" in missing.stderr and "Traceback" not in missing.stderr
    gemini = subprocess.run(rtchat_cmd("ask", "-m", "gemini/gemini-live-2.5-flash-preview", "--audio-in", str(speech), "--protocol", "webrtc"), env=isolated_env(tmp_path, GEMINI_API_KEY="x"), capture_output=True, text=True, timeout=30)
    assert gemini.returncode == 2 and "no WebRTC endpoint" in gemini.stderr

"""The same spoken turn over the Realtime WebSocket to the loopback: audio as
input_audio_buffer.append, the answer's audio as output_audio.delta events."""

from __future__ import annotations

import json
import subprocess
import wave

from rtchat.config import NetworkSettings
from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.events import AudioChunk, Transcript
from rtchat.voice.links import RealtimeSocketLink
from rtchat.voice.session import VoiceSession
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.voice import (
    heard_seconds,
    run_spoken_turn,
    speech_wav,
    voice_target,
    wav_speech_seconds,
)


async def test_a_spoken_turn_over_the_realtime_websocket(loopback, tmp_path):
    speech = speech_wav(tmp_path)
    source = wav_source(speech)
    voice = VoiceSession(RealtimeSocketLink(voice_target(loopback.url + "/v1"), NetworkSettings()), Capture(source), ClockSpeaker)
    await voice.start(open_microphone=False)

    async def talk() -> None:
        voice.capture.start()
        await source.finished.wait()

    events = await run_spoken_turn(voice, source, talk)
    await voice.close()
    answer = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    expected = wav_speech_seconds(speech)
    assert abs(heard_seconds(answer) - expected) <= max(0.1 * expected, 0.1), (answer, expected)
    audio = [e for e in events if isinstance(e, AudioChunk)]
    assert audio and audio[0].rate == 24000
    assert abs(sum(len(e.pcm) for e in audio) / 2 / 24000 - source.duration) < 0.3
    assert events[-1].reason == "complete"


def test_ask_audio_in_over_the_websocket(tmp_path):
    speech = speech_wav(tmp_path)
    command = rtchat_cmd("ask", "-m", "loopback/echo", "--audio-in", str(speech), "--protocol", "websocket", "--jsonl")
    result = subprocess.run(command, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    answer = "".join(line["text"] for line in lines if line["type"] == "transcript" and line["role"] == "assistant")
    assert abs(heard_seconds(answer) - wav_speech_seconds(speech)) <= 0.1 * wav_speech_seconds(speech) + 0.05
    assert lines[-1] == {"type": "done", "reason": "complete"}


def test_ask_audio_in_refuses_a_model_without_voice(tmp_path):
    wav = tmp_path / "silence.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 1600)
    done = subprocess.run(rtchat_cmd("ask", "--audio-in", str(wav), "--protocol", "websocket", "-m", "loopback/refusal"), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "rtchat: loopback/refusal has no voice; a spoken turn needs a voice model (loopback/echo, openai/gpt-realtime or a Gemini Live model)"

"""Spoken turns to Gemini Live over its WebSocket, against the loopback's Live
endpoint: push-to-talk as activityStart / realtimeInput.audio (PCM16 16 kHz) /
activityEnd, the answer's 24 kHz audio and transcriptions back, and barge-in as
an activityStart while the answer plays."""

from __future__ import annotations

import asyncio
import json
import subprocess

from rtchat.config import NetworkSettings
from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.events import AudioChunk, Done, Transcript
from rtchat.voice.links import GeminiLiveLink
from rtchat.voice.ptt import VoiceState
from rtchat.voice.session import VoiceSession
from tests.support.voice import (
    heard_seconds,
    run_spoken_turn,
    speech_wav,
    spoken_exchange,
    wav_speech_seconds,
)
from tests.support.voice import voice_target
from tests.support.wait import until


def within_ten_percent(answer: str, expected: float) -> bool:
    return abs(heard_seconds(answer) - expected) <= max(0.1 * expected, 0.1)


async def started_voice(loopback, source, model: str = "echo") -> tuple[VoiceSession, GeminiLiveLink]:
    link = GeminiLiveLink(voice_target(loopback.url, model, "fake-key", "gemini"), NetworkSettings(), system="answer briefly")
    voice = VoiceSession(link, Capture(source), ClockSpeaker)
    await voice.start(open_microphone=False)
    return voice, link


async def test_a_spoken_turn_over_gemini_live(loopback, tmp_path):
    speech = speech_wav(tmp_path)
    source = wav_source(speech)
    voice, link = await started_voice(loopback, source)

    async def talk() -> None:
        voice.capture.start()
        await source.finished.wait()

    try:
        events = await run_spoken_turn(voice, source, talk)
    finally:
        await voice.close()
    answer = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert within_ten_percent(answer, wav_speech_seconds(speech)), (answer, wav_speech_seconds(speech))
    [said] = [e for e in events if isinstance(e, Transcript) and e.role == "user"]
    assert said.text.startswith("[") and said.final
    audio = [e for e in events if isinstance(e, AudioChunk)]
    assert audio and {e.rate for e in audio} == {24000}
    assert events[-1] == Done("complete")
    setup = loopback.connections[0].setup
    assert setup["generationConfig"]["responseModalities"] == ["AUDIO"]
    assert setup["realtimeInputConfig"] == {"automaticActivityDetection": {"disabled": True}}
    assert setup["systemInstruction"]["parts"][0]["text"] == "answer briefly"
    assert "outputAudioTranscription" in setup and "inputAudioTranscription" in setup
    kinds = link.sent_log
    assert kinds[0] == "activityStart" and kinds[-1] == "activityEnd" and set(kinds[1:-1]) == {"audio"}


async def test_barge_in_is_an_activity_start_and_flushes_playback(loopback, tmp_path):
    source = wav_source(speech_wav(tmp_path))
    voice, link = await started_voice(loopback, source, model="echo@rate=5")  # a slow answer: still going when we cut in
    seen: list = []
    session_handler = link.on_event
    link.on_event = lambda event: (seen.append(event), session_handler(event))
    events: list = []
    try:
        collector = await spoken_exchange(voice, source, events)
        await until(lambda: voice.state is VoiceState.SPEAKING)
        answered_at = len(link.sent_log)
        await voice.start_talking()  # the talk key while the answer plays
        await asyncio.wait_for(collector, 5)
        assert voice.buffer.buffered_samples == 0  # local playback flushed at once
        await until(lambda: Done("interrupted") in seen)  # the loopback's record of the answer is final
    finally:
        await voice.close()
    assert events[-1] == Done("interrupted")
    assert link.sent_log[answered_at:answered_at + 1] == ["activityStart"]  # first thing out, before any new audio
    assert link.sent_log[answered_at:].count("activityStart") == 1
    record = loopback.records[-1]
    assert record.cancel_received is not None and record.outcome == "cancelled"  # the server stopped generating
    assert Done("interrupted") in seen  # Live's `interrupted`, decoded as the answer's end
    assert voice.state is VoiceState.LISTENING


def test_ask_audio_in_to_gemini_live(tmp_path):
    from tests.support.env import isolated_env, rtchat_cmd

    speech = speech_wav(tmp_path)

    async def serve_and_ask() -> subprocess.CompletedProcess:
        from rtchat.loopback import start_loopback

        async with await start_loopback() as server:
            command = rtchat_cmd("ask", "--audio-in", str(speech), "-m", "gemini/echo", "--protocol", "websocket", "--base-url", server.url, "--jsonl")
            env = isolated_env(tmp_path, GEMINI_API_KEY="x")
            return await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=60)

    result = asyncio.run(serve_and_ask())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    answer = "".join(line["text"] for line in lines if line["type"] == "transcript" and line["role"] == "assistant")
    assert within_ten_percent(answer, wav_speech_seconds(speech)), (answer, wav_speech_seconds(speech))
    assert lines[-1] == {"type": "done", "reason": "complete"}


def test_ask_audio_in_refuses_a_gemini_model_without_live(tmp_path):
    from tests.support.env import isolated_env, rtchat_cmd

    command = rtchat_cmd("ask", "--audio-in", str(speech_wav(tmp_path)), "-m", "gemini/gemini-2.5-flash", "--protocol", "websocket")
    result = subprocess.run(command, check=False, env=isolated_env(tmp_path, GEMINI_API_KEY="x"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a Gemini Live model" in result.stderr


async def test_a_voice_session_resumes_after_goaway_with_the_handle(loopback, tmp_path):
    """fault-goaway: after the first answer the server says goAway and closes (1001);
    the link reopens with the resumption handle, and the next spoken turn just works."""
    speech = speech_wav(tmp_path)
    source = wav_source(speech)
    voice, link = await started_voice(loopback, source, model="fault-goaway")
    shown: list[str] = []
    voice.on_connection = shown.append

    async def talk() -> None:
        voice.capture.stop()
        source.finished.clear()
        voice.capture.start()
        await source.finished.wait()

    try:
        first = await run_spoken_turn(voice, source, talk)
        await until(lambda: link.resumed == 1 and voice.connection == "connected", what="the session resumed")
        second = await run_spoken_turn(voice, source, talk)
    finally:
        await voice.close()
    assert first[-1] == Done("complete") and second[-1] == Done("complete")
    assert not [e for e in first + second if e.type == "error"], "the goAway close is not an error"
    assert shown[:2] == ["reconnecting", "connected"], shown
    before, after = loopback.connections
    assert before.close_code == 1001
    assert after.setup["sessionResumption"]["handle"].startswith("loopback-")
    answer = "".join(e.text for e in second if isinstance(e, Transcript) and e.role == "assistant")
    assert "(turn 2)" in answer, "the resumed session kept the first turn"

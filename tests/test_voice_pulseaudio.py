"""The real capture path through PortAudio and PulseAudio: speech is played
into the null sink, rtchat records it from the sink's monitor with its
microphone source, sends it over WebRTC to the loopback, and the loopback's
`heard N.N s` must match the speech in the WAV within 10 %."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.voice import heard_seconds, loopback_voice, monitor_source, pulse_problem, run_spoken_turn, speech_wav, wav_speech_seconds

problem = pulse_problem()
pytestmark = pytest.mark.skipif(problem is not None, reason=problem or "")


async def test_speech_played_into_pulseaudio_is_captured_and_heard(loopback, tmp_path, monkeypatch):
    from rtchat.audio.capture import Capture
    from rtchat.audio.playback import ClockSpeaker
    from rtchat.audio.sources import MicrophoneSource
    from rtchat.events import Transcript

    monkeypatch.setenv("PULSE_SOURCE", monitor_source())  # the null sink's monitor is our microphone
    speech = speech_wav(tmp_path, "Testing the microphone path through Pulse Audio.")
    source = MicrophoneSource()
    levels: list[float] = []
    voice = await loopback_voice(loopback, Capture(source), ClockSpeaker, on_level=levels.append)
    await voice.start()  # opens the input stream once

    async def talk() -> None:
        await asyncio.sleep(0.2)
        player = await asyncio.create_subprocess_exec("paplay", str(speech))
        assert await player.wait() == 0
        await asyncio.sleep(0.3)

    try:
        events = await run_spoken_turn(voice, source, talk)
    finally:
        await voice.close()
        await voice.http_client.aclose()
    answer = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    expected = wav_speech_seconds(speech)
    assert abs(heard_seconds(answer) - expected) <= 0.1 * expected, (answer, expected)
    assert max(levels) > -40  # the meter saw the speech

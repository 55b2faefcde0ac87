"""The real capture path through PortAudio and PulseAudio: speech is played
into the null sink, rtchat records it from the sink's monitor with its
microphone source, sends it over WebRTC to the loopback, and the loopback's
`heard N.N s` must match the speech in the WAV within 10 %."""

from __future__ import annotations

import asyncio

from tests.support.voice import heard_seconds, loopback_voice, run_spoken_turn, speech_wav, wav_speech_seconds

QUIET_DBFS = -60.0  # below this a block is line silence, not speech
QUIET_BLOCKS = 15  # 0.3 s of 20 ms blocks


async def test_speech_played_into_pulseaudio_is_captured_and_heard(pulseaudio_sink, loopback, tmp_path, monkeypatch):
    from rtchat.audio.capture import Capture
    from rtchat.audio.playback import ClockSpeaker
    from rtchat.audio.sources import MicrophoneSource
    from rtchat.events import Transcript

    monkeypatch.setenv("PULSE_SOURCE", f"{pulseaudio_sink}.monitor")  # the null sink's monitor is our microphone
    speech = speech_wav(tmp_path, "Testing the microphone path.")
    source = MicrophoneSource()
    levels: list[float] = []
    block_heard = asyncio.Event()  # the microphone delivered a block
    quiet_after_playback = asyncio.Event()  # ...and, once paplay has exited, QUIET_BLOCKS quiet ones in a row
    playback_over = False
    quiet_run = 0

    def on_level(level: float) -> None:  # runs on the loop: MicrophoneSource delivers blocks with call_soon_threadsafe
        nonlocal quiet_run
        levels.append(level)
        block_heard.set()
        if playback_over:
            quiet_run = quiet_run + 1 if level < QUIET_DBFS else 0
            if quiet_run >= QUIET_BLOCKS:
                quiet_after_playback.set()

    voice = await loopback_voice(loopback, Capture(source), ClockSpeaker, on_level=on_level)
    await voice.start()  # opens the input stream once

    async def talk() -> None:
        nonlocal playback_over
        block_heard.clear()
        await asyncio.wait_for(block_heard.wait(), 10)  # the key is down and the microphone is delivering
        player = await asyncio.create_subprocess_exec("paplay", f"--device={pulseaudio_sink}", str(speech))
        assert await player.wait() == 0  # paplay drains: the sink has played all of it
        playback_over = True
        # the speech's tail still travels from the monitor through PortAudio: release the key once it is heard out
        await asyncio.wait_for(quiet_after_playback.wait(), 10)

    try:
        events = await run_spoken_turn(voice, source, talk)
    finally:
        await voice.close()
        await voice.http_client.aclose()
    answer = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    expected = wav_speech_seconds(speech)
    assert abs(heard_seconds(answer) - expected) <= 0.1 * expected, (answer, expected)
    assert max(levels) > -40  # the meter saw the speech

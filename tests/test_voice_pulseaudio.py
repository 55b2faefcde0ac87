"""The real capture path through PortAudio and PulseAudio: speech is played
into the null sink, rtchat records it from the sink's monitor with its
microphone source, sends it over WebRTC to the loopback, and the loopback's
`heard N.N s` must match the speech in the WAV within 10 %. And the playback
path the other way: a 24 kHz answer played on the device reaches the sink whole."""

from __future__ import annotations

import asyncio

import subprocess

import numpy as np

from tests.support.voice import MonitorRecorder, heard_seconds, loopback_voice, run_spoken_turn, speech_wav, wav_speech_seconds
from tests.support.wait import until

QUIET_DBFS = -60.0  # below this a block is line silence, not speech
QUIET_BLOCKS = 15  # 0.3 s of 20 ms blocks


async def test_speech_played_into_pulseaudio_is_captured_and_heard(pulseaudio_sink, loopback, tmp_path, monkeypatch):
    from rtchat.audio.capture import Capture
    from rtchat.audio.playback import ClockSpeaker
    from rtchat.audio.sources import MicrophoneSource
    from rtchat.events import Transcript

    monkeypatch.setenv("PULSE_SOURCE", f"{pulseaudio_sink}.monitor")  # the null sink's monitor is our microphone
    speech = speech_wav(tmp_path, "Testing the microphone path through Pulse Audio.")
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
    # Nothing lost: at least 90 % of the speech's span. On a machine starved of CPU the heard span
    # can stretch (a run with 6 workers heard 3.1 s of a 2.76 s sentence): up to 20 % more.
    assert 0.9 * expected <= heard_seconds(answer) <= 1.2 * expected, (answer, expected)
    assert max(levels) > -40  # the meter saw the speech


def sink_input_rates(sink: str) -> list[str]:
    """The sample rate of each stream playing into `sink`, as PulseAudio reports it."""
    index = next(line.split()[0] for line in subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True, timeout=10).stdout.splitlines() if line.split()[1] == sink)
    rates, into = [], None
    for line in subprocess.run(["pactl", "list", "sink-inputs"], capture_output=True, text=True, timeout=10).stdout.splitlines():
        line = line.strip()
        if line.startswith("Sink:"):
            into = line.split()[1]
        elif line.startswith("Sample Specification:") and into == index:
            rates.append(line.split()[-1])
    return rates


async def test_a_24_khz_answer_played_on_the_device_reaches_the_sink_whole(pulseaudio_sink, monkeypatch):
    """Realtime over WebSocket and Gemini Live answer at 24 kHz. Played on a 24 kHz PortAudio stream,
    ALSA's PulseAudio plugin underflowed on a loaded machine and dropped what was queued at each
    recovery (0.5 s to all of a 2 s answer never reached the sink; at 48 kHz it arrived whole): the
    device runs at 48 kHz and the answer is converted on the way."""
    from rtchat.audio.jitter import JitterBuffer
    from rtchat.audio.playback import DeviceSpeaker

    monkeypatch.setenv("PULSE_SINK", pulseaudio_sink)
    rate = 24000
    answer = (0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * rate) / rate)).astype(np.float32)
    recorder = MonitorRecorder(pulseaudio_sink)
    buffer = JitterBuffer(rate, prefill_ms=20)
    speaker = DeviceSpeaker(buffer)
    await recorder.start()
    speaker.start()
    try:
        stream_rates = sink_input_rates(pulseaudio_sink)
        for offset in range(0, len(answer), rate // 25):  # 40 ms pieces, as a socket hands them over
            buffer.put(answer[offset : offset + rate // 25])
        await until(lambda: buffer.buffered_samples == 0, 30, "the answer handed to PortAudio")
        # the device's own latency: the deadline only stops a hang (lost audio never arrives)
        await until(lambda: recorder.loud_seconds() >= 1.7, 30, "the 2 s answer recorded from the sink's monitor")  # a loaded machine's underruns may cost a little
    finally:
        speaker.stop()
        await recorder.stop()
    assert buffer.played_ms == 2000
    assert stream_rates == ["48000Hz"]  # what PortAudio opened, as PulseAudio saw it
    assert recorder.loud_seconds() <= 2.05

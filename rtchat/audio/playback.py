"""Playing the model's voice: a jitter buffer drained by the sound card, or by
a clock when there is no sound card (`ask --audio-in`, tests), so the played
milliseconds a barge-in reports are right either way.

`on_played(real_samples, when, peak)` is called after each block with how much
real audio left and its peak (so "first sound heard" can skip leading silence); on a device it runs on PortAudio's thread, so it must be
thread-safe (the voice session hands it to its loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from rtchat.audio.jitter import JitterBuffer
from rtchat.audio.support import AudioUnavailable, load_sounddevice

OnPlayed = Callable[[int, float, float], None]
BLOCK_MS = 20  # the silent clock's tick
DEVICE_BLOCK_MS = 10  # PortAudio keeps ~3 blocks queued: 10 ms blocks put the answer ~30 ms from the DAC, not ~60 (bench_voice.py)
# The device is opened at 48 kHz whatever the answer's rate. At 24 kHz (Realtime over WebSocket,
# Gemini Live) with this low latency, ALSA's PulseAudio plugin underflowed on a loaded machine and
# each recovery dropped what was queued: up to all of a 2 s answer never reached the sink, while
# the same answer at 48 kHz arrived whole (tests/test_voice_pulseaudio.py).
DEVICE_RATE = 48000


def dac_delay(time_info) -> float:
    """Seconds until this block's first sample leaves the device (PortAudio's DAC time), so
    "first audio heard" means heard, not handed over; 0 where the host API reports no times."""
    ahead = time_info.outputBufferDacTime - time_info.currentTime
    return ahead if time_info.currentTime and 0.0 < ahead < 2.0 else 0.0


class DeviceSpeaker:
    """The default output device, opened once for the voice session."""

    def __init__(self, buffer: JitterBuffer, device: str | int | None = None, on_played: OnPlayed | None = None) -> None:
        self.buffer = buffer
        self.device = device
        self.on_played = on_played
        self._stream = None

    def start(self) -> None:
        sd = load_sounddevice()
        feed = self.buffer if self.buffer.rate == DEVICE_RATE else RateConverted(self.buffer, DEVICE_RATE)

        def callback(outdata, frames, time_info, status) -> None:  # PortAudio's thread
            samples, real = feed.read(frames)
            outdata[:, 0] = samples
            if real and self.on_played is not None:
                self.on_played(real, time.perf_counter() + dac_delay(time_info), float(abs(samples).max()))

        try:
            self._stream = sd.OutputStream(
                samplerate=DEVICE_RATE, channels=1, dtype="float32", blocksize=DEVICE_RATE * DEVICE_BLOCK_MS // 1000,
                device=self.device, callback=callback, latency="low",
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise AudioUnavailable(f"no usable output device was found ({exc})") from None

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


class RateConverted:
    """`buffer` read at `rate`: each read takes what that many samples need from the buffer (its
    silence too, so the filter never holds the answer's end back) and converts it. `real` stays
    in the buffer's samples, as the played count is."""

    def __init__(self, buffer: JitterBuffer, rate: int) -> None:
        from rtchat.audio.resample import Resampler  # deferred: PyAV

        self.buffer = buffer
        self.rate = rate
        self._resampler = Resampler(buffer.rate, rate)
        self._held = np.zeros(0, dtype=np.float32)  # converted, not yet asked for

    def read(self, count: int):
        wanted = max(0, -(-(count - len(self._held)) * self.buffer.rate // self.rate))
        samples, real = self.buffer.read(wanted) if wanted else (self._held[:0], 0)
        out = np.concatenate([self._held, self._resampler.process(samples)])
        if len(out) < count:  # the filter's first few samples: silence ahead of the stream, once
            out = np.concatenate([np.zeros(count - len(out), dtype=np.float32), out])
        self._held = out[count:]
        return out[:count], real


class ClockSpeaker:
    """Drains the buffer in real time without a device: a silent speaker that keeps time."""

    def __init__(self, buffer: JitterBuffer, on_played: OnPlayed | None = None) -> None:
        self.buffer = buffer
        self.on_played = on_played
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        block = self.buffer.rate * BLOCK_MS // 1000
        began, ticks = loop.time(), 0
        while True:
            ticks += 1
            await asyncio.sleep(max(0.0, began + ticks * BLOCK_MS / 1000 - loop.time()))
            samples, real = self.buffer.read(block)
            if real and self.on_played is not None:
                self.on_played(real, time.perf_counter(), float(abs(samples).max()))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

"""Where captured audio comes from: the microphone, or (for tests and
`--audio-in`) a WAV file or an array, all behind one small interface.

A source calls `deliver(samples)` on the event loop's thread with float32 mono
blocks at `source.rate`. The microphone's PortAudio callback runs on its own
thread, so it hands blocks over with `loop.call_soon_threadsafe`, never by
polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from rtchat.audio.support import AudioUnavailable, load_sounddevice
from rtchat.audio.wavfile import read_wav

Deliver = Callable[[np.ndarray], None]
BLOCK_MS = 20


class AudioSource(Protocol):
    rate: int

    def start(self, deliver: Deliver) -> None: ...
    def stop(self) -> None: ...


class MicrophoneSource:
    """The default input device (or a named one), opened once for the whole voice session."""

    def __init__(self, rate: int = 48000, device: str | int | None = None) -> None:
        self.rate = rate
        self.device = device
        self._stream = None

    def start(self, deliver: Deliver) -> None:
        sd = load_sounddevice()
        loop = asyncio.get_running_loop()

        def callback(indata, frames, time_info, status) -> None:  # PortAudio's thread
            block = indata[:, 0].copy()
            try:
                loop.call_soon_threadsafe(deliver, block)
            except RuntimeError:
                pass  # the loop closed while the stream was stopping

        try:
            self._stream = sd.InputStream(
                samplerate=self.rate, channels=1, dtype="float32", blocksize=self.rate * BLOCK_MS // 1000,
                device=self.device, callback=callback, latency="low",
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise AudioUnavailable(f"no usable input device was found ({exc}); text chat still works") from None

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


class ArraySource:
    """Samples already in memory, delivered in 20 ms blocks (paced in real time, or at once)."""

    def __init__(self, samples: np.ndarray, rate: int, realtime: bool = False) -> None:
        self.samples = np.asarray(samples, dtype=np.float32)
        self.rate = rate
        self.realtime = realtime
        self.finished = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    def start(self, deliver: Deliver) -> None:
        self._task = asyncio.get_running_loop().create_task(self._feed(deliver))

    async def _feed(self, deliver: Deliver) -> None:
        block = self.rate * BLOCK_MS // 1000
        loop = asyncio.get_running_loop()
        began = loop.time()
        for index, offset in enumerate(range(0, len(self.samples), block)):
            if self.realtime:
                await asyncio.sleep(max(0.0, began + index * BLOCK_MS / 1000 - loop.time()))
            deliver(self.samples[offset : offset + block])
        self.finished.set()

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.finished.set()


def wav_source(path: str | Path, realtime: bool = False) -> ArraySource:
    samples, rate = read_wav(path)
    return ArraySource(samples, rate, realtime)

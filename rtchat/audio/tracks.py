"""aiortc adapters: an outgoing audio track fed from a sample queue and paced
by the clock, and the conversion of received frames to mono samples.

aiortc's sender pulls `recv()` as fast as it returns, so the track itself must
keep real time: one 20 ms frame per 20 ms, silence when nothing is queued
(a WebRTC audio track never stops while the call is up).
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque
from collections.abc import Callable

import av
import numpy as np
from aiortc import MediaStreamTrack

FRAME_MS = 20
OPUS_RATE = 48000


class PacedAudioTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, rate: int = OPUS_RATE, on_frame: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.rate = rate
        self.frame_samples = rate * FRAME_MS // 1000
        self.on_frame = on_frame  # called with the real samples in each frame sent
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0
        self._pts = 0
        self._began: float | None = None
        self._drained = asyncio.Event()
        self._drained.set()

    @property
    def queued_samples(self) -> int:
        return self._queued

    def push(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if len(samples):
            self._queue.append(samples)
            self._queued += len(samples)
            self._drained.clear()

    def clear(self) -> int:
        dropped = self._queued
        self._queue.clear()
        self._queued = 0
        self._drained.set()
        return dropped

    async def drained(self) -> None:
        """Wait until everything pushed so far has been sent."""
        await self._drained.wait()

    def _take(self) -> tuple[np.ndarray, int]:
        out = np.zeros(self.frame_samples, dtype=np.float32)
        filled = 0
        while filled < self.frame_samples and self._queue:
            head = self._queue[0]
            take = min(len(head), self.frame_samples - filled)
            out[filled : filled + take] = head[:take]
            filled += take
            if take == len(head):
                self._queue.popleft()
            else:
                self._queue[0] = head[take:]
        self._queued -= filled
        return out, filled

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._began is None:
            self._began = loop.time()
        due = self._began + self._pts / self.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.2:  # fell far behind (a stalled loop): resync rather than burst
            self._began = loop.time() - self._pts / self.rate
        samples, real = self._take()
        if not self._queued:
            self._drained.set()
        pcm = (np.clip(samples, -1.0, 32767 / 32768) * 32768).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self.rate)
        self._pts += self.frame_samples
        if self.on_frame is not None:
            self.on_frame(real)
        return frame


def frame_to_mono(frame: av.AudioFrame) -> np.ndarray:
    """A received frame (packed or planar, any channels) as float32 mono samples."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        samples = data.reshape(channels, -1).mean(axis=0)
    else:
        samples = data.reshape(-1, channels).mean(axis=1)
    if data.dtype == np.int16:
        return (samples / 32768.0).astype(np.float32)
    if data.dtype == np.int32:
        return (samples / 2147483648.0).astype(np.float32)
    return samples.astype(np.float32)

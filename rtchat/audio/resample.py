"""Streaming sample-rate conversion: chunks in, chunks out, no clicks at the joins.

Capture runs at the device's rate (48 kHz); the Opus track wants 48 kHz, the
Realtime WebSocket 24 kHz and Gemini Live 16 kHz. FFmpeg's libswresample (through
PyAV, already here for aiortc) does the filtering, so we keep no DSP of our own.
This module is imported only once voice or WebRTC is in use, so av and numpy
load at its top.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

EMPTY = np.zeros(0, dtype=np.float32)


class Resampler:
    """Converts one continuous mono float32 stream; keep one instance per stream.

    libswresample holds back a few samples for its filter (about 16 at the output
    rate); `flush()` hands them over when the stream ends.
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=dst_rate)
        self._time_base = Fraction(1, src_rate)
        self._pts = 0  # input samples so far: frames carry a steady clock, so FFmpeg sees no gaps

    def process(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32)
        if self.src_rate == self.dst_rate or len(samples) == 0:
            return samples.copy()
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples).reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.src_rate
        frame.time_base = self._time_base
        frame.pts = self._pts
        self._pts += len(samples)
        return _joined(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        """The samples still inside the filter, at the end of the stream."""
        if self.src_rate == self.dst_rate:
            return EMPTY.copy()
        return _joined(self._resampler.resample(None))


def _joined(frames: list[av.AudioFrame]) -> np.ndarray:
    if not frames:
        return EMPTY.copy()
    return np.concatenate([frame.to_ndarray()[0] for frame in frames]).astype(np.float32, copy=False)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot conversion of a whole signal (flushed, so its length is exact)."""
    resampler = Resampler(src_rate, dst_rate)
    return np.concatenate([resampler.process(samples), resampler.flush()])

"""Streaming sample-rate conversion: chunks in, chunks out, no clicks at the joins.

Capture runs at the device's rate (48 kHz); the Opus track wants 48 kHz, the
Realtime WebSocket 24 kHz and Gemini Live 16 kHz. Linear interpolation after a
windowed-sinc low-pass (when going down) is plenty for speech and keeps the
converter pure numpy.
"""

from __future__ import annotations

import numpy as np

TAPS = 63


def lowpass_taps(cutoff: float, taps: int = TAPS) -> np.ndarray:
    """A Hamming-windowed sinc low-pass; cutoff as a fraction of the input rate."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return (kernel / kernel.sum()).astype(np.float32)


class Resampler:
    """Converts one continuous stream; keep one instance per stream."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self.step = src_rate / dst_rate
        self._taps = lowpass_taps(0.45 * dst_rate / src_rate) if dst_rate < src_rate else None
        self._history = np.zeros(0 if self._taps is None else TAPS - 1, dtype=np.float32)
        self._tail: np.ndarray | None = None  # the last input sample of the previous chunk
        self._pos = 0.0  # next output position, in input samples from the tail

    def process(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32)
        if self.src_rate == self.dst_rate or len(samples) == 0:
            return samples.copy()
        if self._taps is not None:
            padded = np.concatenate([self._history, samples])
            self._history = padded[-(TAPS - 1):]
            samples = np.convolve(padded, self._taps, mode="valid").astype(np.float32)
        if self._tail is None:
            buffer = samples
        else:
            buffer = np.concatenate([self._tail, samples])
        last = len(buffer) - 1
        count = int(np.floor((last - self._pos) / self.step)) + 1 if last >= self._pos else 0
        positions = self._pos + self.step * np.arange(count)
        out = np.interp(positions, np.arange(len(buffer)), buffer).astype(np.float32)
        self._pos = self._pos + self.step * count - last
        self._tail = buffer[-1:]
        return out


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot conversion of a whole signal."""
    return Resampler(src_rate, dst_rate).process(samples)

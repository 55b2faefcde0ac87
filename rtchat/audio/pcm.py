"""PCM16 <-> float samples, levels in dBFS, and the speech-duration rule.

One place for these so the capture meter, the loopback's `heard N.N s` and the
tests all measure the same way.
"""

from __future__ import annotations

import numpy as np

SILENCE_DBFS = -100.0
SPEECH_THRESHOLD_DBFS = -45.0
WINDOW_MS = 20


def to_float(pcm16: bytes) -> np.ndarray:
    """PCM16 little-endian mono bytes to float32 samples in [-1, 1)."""
    return np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768.0


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples to PCM16 bytes, clipped rather than wrapped."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 32767 / 32768)
    return (clipped * 32768.0).astype("<i2").tobytes()


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level relative to full scale; SILENCE_DBFS for digital silence."""
    if len(samples) == 0:
        return SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(SILENCE_DBFS, 20.0 * np.log10(rms)) if rms > 0 else SILENCE_DBFS


def window_levels(samples: np.ndarray, rate: int, window_ms: int = WINDOW_MS) -> np.ndarray:
    """The dBFS level of each whole window (the last partial window is dropped)."""
    size = max(1, rate * window_ms // 1000)
    count = len(samples) // size
    if count == 0:
        return np.zeros(0)
    windows = np.asarray(samples[: count * size], dtype=np.float64).reshape(count, size)
    rms = np.sqrt(np.mean(windows * windows, axis=1))
    with np.errstate(divide="ignore"):
        return np.maximum(SILENCE_DBFS, 20.0 * np.log10(rms))


def speech_span(samples: np.ndarray, rate: int, threshold_dbfs: float = SPEECH_THRESHOLD_DBFS) -> tuple[float, float] | None:
    """Start and end (s) of speech: first to last 20 ms window above the threshold (the loopback meter's rule)."""
    loud = np.flatnonzero(window_levels(samples, rate) > threshold_dbfs)
    if len(loud) == 0:
        return None
    window = WINDOW_MS / 1000
    return float(loud[0] * window), float((loud[-1] + 1) * window)


def speech_duration(samples: np.ndarray, rate: int, threshold_dbfs: float = SPEECH_THRESHOLD_DBFS) -> float:
    span = speech_span(samples, rate, threshold_dbfs)
    return 0.0 if span is None else span[1] - span[0]


def mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) block; 1-D input passes through."""
    samples = np.asarray(samples)
    return samples if samples.ndim == 1 else samples.mean(axis=1)

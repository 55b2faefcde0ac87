"""Read any PCM16 WAV as mono float samples; write PCM16 mono WAVs (stdlib `wave`)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from rtchat.audio.pcm import mono, to_pcm16
from rtchat.errors import InputFailure


class WavError(InputFailure, ValueError):
    pass


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples (float32 mono) and the rate; 8/16/32-bit integer PCM accepted."""
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"{path} is not a PCM WAV file ({exc})") from None
    if width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        raise WavError(f"{path}: {8 * width}-bit samples are not supported; use 16-bit PCM")
    return mono(samples.reshape(-1, channels)).astype(np.float32), rate


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(to_pcm16(samples))

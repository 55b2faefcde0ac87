"""Measures the speech in PCM16 audio, so the loopback can say what it heard.

Pure and numpy-free: voice tests and the WebRTC loopback read the same figure
("heard 1.2 s of audio (level -18 dBFS)") whatever transport carried the audio.
Only `resample` loads PyAV, when there is audio to convert.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass

FRAME_SECONDS = 0.02
SPEECH_THRESHOLD_DBFS = -45.0
FULL_SCALE = 32768.0
SILENCE_DBFS = -99


@dataclass(frozen=True)
class Heard:
    """The span of speech in a clip and its loudness."""

    seconds: float
    level_dbfs: int

    def answer(self) -> str:
        """What the echo model says back to a spoken turn."""
        return f"heard {self.seconds:.1f} s of audio (level {self.level_dbfs} dBFS)"

    def transcript(self) -> str:
        """What the loopback's 'transcription' of a spoken turn reads."""
        return f"[{self.seconds:.1f} s of audio]"


def samples(pcm16: bytes) -> array:
    values = array("h")
    values.frombytes(pcm16[: len(pcm16) - len(pcm16) % 2])
    if sys.byteorder != "little":
        values.byteswap()
    return values


def dbfs(mean_square: float) -> float:
    return 20 * math.log10(math.sqrt(mean_square) / FULL_SCALE) if mean_square > 0 else float("-inf")


def measure(pcm16: bytes, rate: int) -> Heard:
    """Speech = from the first to the last 20 ms frame whose RMS is above -45 dBFS."""
    values = samples(pcm16)
    size = max(1, int(rate * FRAME_SECONDS))
    frames = [values[start : start + size] for start in range(0, len(values), size)]
    squares = [sum(v * v for v in frame) / len(frame) for frame in frames]
    loud = [index for index, square in enumerate(squares) if dbfs(square) > SPEECH_THRESHOLD_DBFS]
    if not loud:
        return Heard(0.0, SILENCE_DBFS)
    first, last = loud[0], loud[-1]
    span = frames[first : last + 1]
    count = sum(len(frame) for frame in span)
    energy = sum(squares[i] * len(frames[i]) for i in range(first, last + 1))
    return Heard(count / rate, max(SILENCE_DBFS, round(dbfs(energy / count))))


def tone(seconds: float, rate: int, hz: float = 440.0, level_dbfs: float = -12.0) -> bytes:
    """A plain sine tone as PCM16 mono: the loopback's spoken answer."""
    amplitude = FULL_SCALE * 10 ** (level_dbfs / 20)
    count = int(seconds * rate)
    values = array("h", (int(amplitude * math.sin(2 * math.pi * hz * i / rate)) for i in range(count)))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def resample(pcm16: bytes, from_rate: int, to_rate: int) -> bytes:
    """PCM16 mono at another rate, so the echo model plays speech back at the rate it declares."""
    if from_rate == to_rate or not pcm16:
        return pcm16
    # PyAV and numpy cost ~300 ms of start-up and the loopback serves text users too: load them
    # only when the echo first speaks.
    from rtchat.audio.pcm import to_float, to_pcm16
    from rtchat.audio.resample import resample as resample_float

    return to_pcm16(resample_float(to_float(pcm16), from_rate, to_rate))

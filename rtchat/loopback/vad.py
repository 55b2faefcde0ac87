"""The loopback's voice activity detection: where speech starts and stops in the audio it hears.

Deterministic and energy-based (the real servers use a model; tests need the
same answer every run): a 20 ms frame is speech when its RMS is above the
meter's -45 dBFS; speech starts at the first loud frame and stops after
`silence_ms` of quiet frames. Positions are milliseconds of audio received in
the session, as OpenAI's `audio_start_ms` / `audio_end_ms` are. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .audio_meter import FRAME_SECONDS, SPEECH_THRESHOLD_DBFS, dbfs, samples

FRAME_MS = int(FRAME_SECONDS * 1000)


@dataclass(frozen=True)
class SpeechEdge:
    started: bool  # True: speech began at `ms`; False: it ended at `ms`
    ms: int


class EnergyVad:
    def __init__(self, rate: int, silence_ms: int = 500) -> None:
        self.rate = rate
        self.silence_ms = silence_ms
        self.speaking = False
        self.heard_ms = 0  # audio received so far
        self._frame = max(1, int(rate * FRAME_SECONDS)) * 2  # bytes of one frame
        self._pending = b""
        self._quiet_ms = 0
        self._last_loud_end = 0

    def feed(self, pcm16: bytes) -> list[SpeechEdge]:
        """The edges the newly received audio completes, in order."""
        data = self._pending + pcm16
        whole = len(data) - len(data) % self._frame
        self._pending = data[whole:]
        edges: list[SpeechEdge] = []
        for start in range(0, whole, self._frame):
            values = samples(data[start : start + self._frame])
            loud = dbfs(sum(v * v for v in values) / len(values)) > SPEECH_THRESHOLD_DBFS
            begin, self.heard_ms = self.heard_ms, self.heard_ms + FRAME_MS
            if loud:
                self._quiet_ms = 0
                self._last_loud_end = self.heard_ms
                if not self.speaking:
                    self.speaking = True
                    edges.append(SpeechEdge(True, begin))
            elif self.speaking:
                self._quiet_ms += FRAME_MS
                if self._quiet_ms >= self.silence_ms:
                    self.speaking = False
                    edges.append(SpeechEdge(False, self._last_loud_end))
        return edges

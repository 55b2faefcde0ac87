"""The loopback's voice activity detection: where speech starts and stops in the audio it hears.

Deterministic and energy-based (the real servers use a model; tests need the
same answer every run): a 20 ms frame is speech when its RMS is above the
meter's -45 dBFS; speech starts at the first loud frame of a run of at least
`min_speech_ms` (a shorter burst is ignored: never a turn of no speech) and stops after
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


MIN_SPEECH_MS = 100  # a shorter burst (a click, a cough, the speaker's echo) is not speech: no turn, no barge-in


class EnergyVad:
    def __init__(self, rate: int, silence_ms: int = 500, min_speech_ms: int = MIN_SPEECH_MS) -> None:
        self.rate = rate
        self.silence_ms = silence_ms
        self.min_speech_ms = min_speech_ms
        self.speaking = False
        self._burst_start: int | None = None  # where the loud frames not yet long enough to be speech began
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
                    self._burst_start = begin if self._burst_start is None else self._burst_start
                    if self.heard_ms - self._burst_start >= self.min_speech_ms:
                        self.speaking = True
                        edges.append(SpeechEdge(True, self._burst_start))
                        self._burst_start = None
            elif not self.speaking:
                self._burst_start = None  # the burst ended before it was long enough to be speech
            elif self.speaking:
                self._quiet_ms += FRAME_MS
                if self._quiet_ms >= self.silence_ms:
                    self.speaking = False
                    edges.append(SpeechEdge(False, self._last_loud_end))
        return edges

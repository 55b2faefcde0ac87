"""The capture path: one source, gated by push-to-talk, metered, and fanned out
to each consumer at the rate it needs (48 kHz Opus track, 24 kHz Realtime
WebSocket, 16 kHz Gemini Live).

The source stays open for the whole voice session (opening a PulseAudio stream
per key press costs up to 2 s); the gate decides what is sent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rtchat.audio.pcm import SILENCE_DBFS, SPEECH_THRESHOLD_DBFS, level_dbfs
from rtchat.audio.resample import Resampler
from rtchat.audio.sources import AudioSource

Sink = Callable[[np.ndarray], None]


class Capture:
    def __init__(self, source: AudioSource, on_level: Callable[[float], None] | None = None) -> None:
        self.source = source
        self.on_level = on_level
        self.level_dbfs = SILENCE_DBFS
        self.gate_open = False
        self.sent_samples = 0  # at the source rate, since the gate last opened
        self.speech_samples = 0  # of those, in blocks loud enough to be speech (SPEECH_THRESHOLD_DBFS)
        self._sinks: list[tuple[Resampler, Sink]] = []
        self._started = False

    def add_sink(self, rate: int, sink: Sink) -> None:
        self._sinks.append((Resampler(self.source.rate, rate), sink))

    def start(self) -> None:
        if not self._started:
            self.source.start(self._on_block)
            self._started = True

    def stop(self) -> None:
        if self._started:
            self.source.stop()
            self._started = False

    def open_gate(self) -> None:
        self.gate_open = True
        self.sent_samples = self.speech_samples = 0

    def close_gate(self) -> None:
        self.gate_open = False

    @property
    def sent_seconds(self) -> float:
        return self.sent_samples / self.source.rate

    @property
    def speech_seconds(self) -> float:
        """How much of what was sent was loud enough to be speech: silence alone is no turn."""
        return self.speech_samples / self.source.rate

    def _on_block(self, samples: np.ndarray) -> None:
        self.level_dbfs = level_dbfs(samples)
        if self.on_level is not None:
            self.on_level(self.level_dbfs)
        if not self.gate_open:
            return
        self.sent_samples += len(samples)
        if self.level_dbfs > SPEECH_THRESHOLD_DBFS:
            self.speech_samples += len(samples)
        for resampler, sink in self._sinks:
            sink(resampler.process(samples))

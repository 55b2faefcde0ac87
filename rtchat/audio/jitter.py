"""A small jitter buffer between the network and the sound card.

Frames arrive in bursts, sometimes out of order; the sound card pulls fixed
blocks at a steady pace from another thread. The buffer reorders by sample
timestamp, waits for a short prefill before (re)starting so one late packet
does not click, answers underruns with silence, drops frames that come too
late, and can be flushed at once on a barge-in. It counts the samples of real
audio played so a barge-in can tell the server how much was heard.
"""

from __future__ import annotations

import heapq
import itertools
import threading

import numpy as np


class JitterBuffer:
    def __init__(self, rate: int, prefill_ms: float = 60.0, max_ms: float = 30_000.0) -> None:
        self.rate = rate
        self.prefill = int(rate * prefill_ms / 1000)
        self.max_samples = int(rate * max_ms / 1000)
        self.played_samples = 0  # real audio handed to the sound card since the last reset
        self.underruns = 0
        self.late_drops = 0
        self._heap: list[tuple[int, int, np.ndarray]] = []
        self._order = itertools.count()
        self._buffered = 0
        self._cursor: int | None = None  # timestamp of the next sample to play
        self._next_auto = 0  # timestamp given to frames that arrive without one
        self._playing = False
        self._lock = threading.Lock()

    @property
    def buffered_samples(self) -> int:
        return self._buffered

    @property
    def played_ms(self) -> int:
        return int(self.played_samples * 1000 / self.rate)

    def put(self, samples: np.ndarray, timestamp: int | None = None) -> None:
        """Queue a frame; `timestamp` is its first sample's index in the stream."""
        samples = np.asarray(samples, dtype=np.float32)
        if len(samples) == 0:
            return
        with self._lock:
            if timestamp is None:
                timestamp = self._next_auto
            self._next_auto = max(self._next_auto, timestamp + len(samples))
            if self._cursor is not None and timestamp + len(samples) <= self._cursor:
                self.late_drops += 1
                return
            if self._buffered + len(samples) > self.max_samples:
                return  # a runaway producer must not eat memory
            heapq.heappush(self._heap, (timestamp, next(self._order), samples))
            self._buffered += len(samples)

    def read(self, count: int) -> tuple[np.ndarray, int]:
        """Exactly `count` samples for the sound card, and how many of them were real audio."""
        out = np.zeros(count, dtype=np.float32)
        with self._lock:
            if not self._playing:
                if self._buffered < self.prefill or not self._heap:
                    return out, 0
                self._playing = True
            filled = real = 0
            while filled < count and self._heap:
                timestamp, order, samples = self._heap[0]
                if self._cursor is None:
                    self._cursor = timestamp
                if timestamp + len(samples) <= self._cursor:  # wholly in the past: a late duplicate
                    heapq.heappop(self._heap)
                    self._buffered -= len(samples)
                    self.late_drops += 1
                    continue
                if timestamp > self._cursor:  # a gap: play silence up to the next frame we have
                    gap = min(timestamp - self._cursor, count - filled)
                    filled += gap
                    self._cursor += gap
                    continue
                start = self._cursor - timestamp
                take = min(len(samples) - start, count - filled)
                out[filled : filled + take] = samples[start : start + take]
                filled += take
                real += take
                self._cursor += take
                if start + take >= len(samples):
                    heapq.heappop(self._heap)
                    self._buffered -= len(samples)
            if filled < count:
                self.underruns += 1
                self._playing = False  # prefill again before resuming
            self.played_samples += real
            return out, real

    def flush(self) -> int:
        """Drop everything queued (a barge-in); returns the samples dropped."""
        with self._lock:
            dropped = self._buffered
            self._heap.clear()
            self._buffered = 0
            self._playing = False
            self._cursor = None  # the next frame starts a new stream, whatever its timestamp
            return dropped

    def restart_count(self) -> None:
        """Start counting played audio afresh (a new answer begins)."""
        with self._lock:
            self.played_samples = 0

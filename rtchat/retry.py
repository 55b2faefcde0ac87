"""The one retry policy: how long to wait before trying again, for every transport.

Exponential (1 s, 2 s, 4 s ...) unless the server said how long (Retry-After),
and never more than `max_wait` seconds in all, so a turn cannot hang on a
server that keeps asking for patience. Retries happen only before the first
token: after that a retry would show the user a second, different answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Backoff:
    tries: int
    max_wait: float
    waited: float = 0.0

    @staticmethod
    def wanted(attempt: int, asked: float | None = None) -> float:
        """The wait before try `attempt + 1`: what the server asked for, else exponential."""
        return asked if asked is not None else 2.0 ** (attempt - 1)

    def delay(self, attempt: int, asked: float | None = None) -> float | None:
        """Seconds to wait before try `attempt + 1`, or None when the budget is spent."""
        if attempt >= self.tries:
            return None
        delay = self.wanted(attempt, asked)
        if self.waited + delay > self.max_wait:
            return None
        self.waited += delay
        return delay


@dataclass
class ResumeBackoff:
    """Reopening a socket the server itself closed (Gemini Live's going away), the same rule
    for every socket that reconnects on its own: wait a little longer before each resume in
    a row, and give up after a few, so a server that answers every setup with a close
    cannot make rtchat open sockets (each carrying the key) as fast as the network allows.
    A resumed session that lasted `held_s` was a success: the count starts again."""

    waits: tuple[float, ...] = (0.5, 1.0, 2.0)
    held_s: float = 30.0
    in_a_row: int = 0

    def next_wait(self, lasted_s: float) -> float | None:
        """Seconds to wait before the next resume, or None: stop resuming (`lasted_s`: how long the closed socket was open)."""
        if lasted_s >= self.held_s:
            self.in_a_row = 0
        if self.in_a_row >= len(self.waits):
            return None
        wait = self.waits[self.in_a_row]
        self.in_a_row += 1
        return wait

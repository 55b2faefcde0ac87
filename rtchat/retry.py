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

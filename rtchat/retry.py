"""The one retry policy (how long to wait before trying again) and the one loop that applies
it (`run_with_retries`), for every transport: an HTTP turn and a socket opening alike.

Exponential (1 s, 2 s, 4 s ...) unless the server said how long (Retry-After),
and never more than `max_wait` seconds in all, so a turn cannot hang on a
server that keeps asking for patience. Retries happen only before the first
token: after that a retry would show the user a second, different answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

T = TypeVar("T")


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


def retry_notice(what: str, delay: float, attempt: int, tries: int) -> str:
    """One sentence for a retry: what happened, how long rtchat waits, which try comes next."""
    return f"{what}; retrying in {delay:.1f} s (try {attempt + 1} of {tries})"


@dataclass(frozen=True)
class TryAgain:
    """What one try returns when it failed before the first token in a way another try may mend.

    `error` is the `Error` event to show if no try is left, `reason` opens the retry
    notice ("could not connect to host:port"), `asked` is the server's Retry-After."""

    error: Any
    reason: str
    asked: float | None = None


@dataclass(frozen=True)
class GaveUp:
    """What the runner returns when no try or no waiting time is left: `error` is the `Error` event to show."""

    error: Any


async def run_with_retries(one_try: Callable[[int], Awaitable[T | TryAgain]], tries: int, max_wait: float, notify: Callable[[str], None]) -> T | GaveUp:
    """The one retry loop (an HTTP turn, a socket opening): `one_try(attempt)` from 1 up to `tries`.

    A try that returns `TryAgain` is followed, after the `Backoff` wait and a notice through
    `notify`, by the next; when the tries or `max_wait` run out this returns `GaveUp`. What
    else a try returns or raises passes through. Deciding that nothing reached the user yet
    (so a retry cannot show a second answer) is the try's job: only it knows. (Plain results,
    not exceptions: rtchat's exceptions live in errors.py, a layer above this one.)"""
    backoff = Backoff(tries, max_wait)
    for attempt in range(1, tries + 1):
        result = await one_try(attempt)
        if not isinstance(result, TryAgain):
            return result
        delay = backoff.delay(attempt, result.asked)
        if delay is None:
            return GaveUp(_out_of_time(result, attempt, tries, max_wait))
        notify(retry_notice(result.reason, delay, attempt, tries))
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last try returns, raises, or gives up")


def _out_of_time(again: TryAgain, attempt: int, tries: int, max_wait: float) -> Any:
    """The error to show; when tries were left but the waiting budget was not, it says so."""
    if attempt >= tries:
        return again.error
    wanted = Backoff.wanted(attempt, again.asked)
    waiting = f"the server asked to wait {wanted:g} s" if again.asked is not None else f"the next try would wait {wanted:g} s"
    return replace(again.error, message=f"{again.error.message} ({waiting}; rtchat waits at most {max_wait:g} s in all)", retryable=True)


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

"""The turn interface and the queue every turn streams through.

Why one queue class: the answer must stop the instant the user presses Ctrl-C
(nothing queued before it is shown), the clock must stamp tokens where the user
sees them, and the answer must be folded from exactly what was shown. Doing
that once, here, is what keeps SSE, WebSocket, WebRTC and voice turns alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from rtchat.answer import Answer, AnswerBuilder
from rtchat.conversation import Conversation
from rtchat.errors import unexpected
from rtchat.events import ANSWER_EVENTS, Cost, Done, Error, Event, Notice, TextDelta, ThinkingDelta, ToolCallDelta, Transcript, Usage
from rtchat.metrics import TurnClock
from rtchat.pricing import turn_cost
from rtchat.sanitize import terminal_safe
from rtchat.secrets import redact
from rtchat.target import Target
from rtchat.turns.notices import NoticeMerger
from rtchat.turns.queue import TurnQueue


class TurnPhase(Enum):
    """Where a turn is, for the status line."""

    CONNECTING = "connecting"
    THINKING = "thinking"
    STREAMING = "streaming"
    STOPPING = "stopping"  # Ctrl-C came: what was not shown yet is dropped
    DONE = "done"


@dataclass(frozen=True, slots=True)
class TurnStats:
    """A turn's figures as they stand: a read-only copy of its clock (rtchat.metrics)."""

    started: float
    connect_ms: float | None
    ttft_ms: float | None
    tokens_per_s: float | None
    usage: Usage | None
    attempts: int
    arrivals: tuple[float, ...]  # when each piece of the answer reached the consumer
    cancelled_at: float | None  # when Ctrl-C came, if it did


class Turn(Protocol):
    """What every turn offers; the app, `ask`, the race and the bench use nothing else.

    Everything read is a snapshot (`answer()`, `stats()`), so no caller can change
    what was shown or measured."""

    @property
    def target(self) -> Target: ...

    @property
    def conversation(self) -> Conversation: ...

    @property
    def protocol(self) -> str: ...

    @property
    def state(self) -> TurnPhase: ...

    def answer(self) -> Answer: ...

    def stats(self) -> TurnStats: ...

    def events(self) -> AsyncIterator[Event]: ...

    def cancel(self) -> None: ...

    def count_from(self, started: float) -> None:
        """The clock counts from `started` (a race starts every racer at the same instant)."""
        ...


def phase_after(phase: TurnPhase, event: Event) -> TurnPhase:
    """Where a turn is once `event` has been shown."""
    if isinstance(event, Done):
        return TurnPhase.DONE
    if isinstance(event, TextDelta) or (isinstance(event, Transcript) and event.role == "assistant"):
        return TurnPhase.STREAMING
    if isinstance(event, ThinkingDelta):
        return TurnPhase.THINKING
    return phase


_END = object()
_METRICS = object()  # stands for the Metrics event, made from the clock when it is handed out


def answer_chars(event: Event) -> int:
    """How much of the answer cap an event uses (audio is bounded per spoken turn, not here)."""
    if isinstance(event, (TextDelta, ThinkingDelta, Transcript)):
        return len(event.text)
    if isinstance(event, ToolCallDelta):
        return len(event.arguments)
    return 0


def cut_to(event: Event, chars: int) -> Event | None:
    """The event with its text cut to `chars` characters (None: nothing of it fits)."""
    if chars <= 0:
        return None
    if isinstance(event, (TextDelta, ThinkingDelta)):
        return type(event)(event.text[:chars])
    if isinstance(event, Transcript):
        return Transcript(event.role, event.text[:chars], event.final)
    return None


def cap_notice(cap: int) -> Notice:
    return Notice(f"the answer reached rtchat's cap of {cap:,} characters ([network] max_answer_chars), so rtchat stopped it there; the partial answer is kept", "warning")


class QueuedTurn:
    """A producer task puts events on a queue; `events()` hands them out, stamping and folding.

    Subclasses implement `_produce()` (put events with `put`, end with `finish`) and,
    where cancelling needs more than stopping the task, `_cancel_sent()`."""

    protocol = "sse"
    opening_phase = TurnPhase.CONNECTING
    answer_cap: int = 0  # characters of answer accepted before the turn is stopped; 0: no cap

    def __init__(self, target: Target, conversation: Conversation, effort: str | None = None, notices: list[Notice] | None = None) -> None:
        self.target = target
        self.conversation = conversation
        self.effort = effort
        self.clock = TurnClock()
        self._answer = AnswerBuilder(target.provider.id)  # what the user was shown
        self._phase = self.opening_phase
        self.cancel_requested_at: float | None = None
        self.content_sent = False  # a piece of the answer left the producer: no silent retry from here
        self.finished = asyncio.Event()
        self._notices = list(notices or [])
        self._queue = TurnQueue()
        self._merger = NoticeMerger()  # a flood of the same warning is one line and a count
        self._answer_chars = 0
        self.capped = False  # the answer reached `answer_cap` and was stopped there
        self._cut_short = False  # answer events were dropped after Ctrl-C
        self._task: asyncio.Task | None = None

    # ---- the consumer's side

    async def events(self) -> AsyncIterator[Event]:
        self._task = asyncio.create_task(self._run())
        try:
            while True:
                item = await self._queue.get()
                if item is _END:
                    return
                if item is _METRICS:
                    cost = self._table_cost()
                    if cost is not None:
                        self._answer.apply(cost)
                        yield cost
                    item = self.clock.metrics(effort=self.effort)
                elif self.cancel_requested_at is not None and isinstance(item, ANSWER_EVENTS):
                    self._cut_short = True
                    continue  # queued before Ctrl-C but not yet shown: the answer stops at once
                elif self.cancel_requested_at is not None and isinstance(item, Notice):
                    continue  # so is a queued flood of warnings: "interrupted" must not wait behind it
                elif self._cut_short and isinstance(item, Done) and item.reason == "complete":
                    item = Done("interrupted")  # it all arrived, but the user stopped it part way
                self.clock.observe(item)
                self._answer.apply(item)
                self._phase = phase_after(self._phase, item)
                yield item
        finally:
            self._queue.release()
            if not self._task.done():
                self._task.cancel()
                self._abandoned()

    def answer(self) -> Answer:
        """The answer as the user was shown it so far (the one fold: stored and sent back alike)."""
        return self._answer.answer()

    def received_answer(self) -> Answer:
        """The answer as the producer handed it over: what was shown, then what is queued and not
        shown yet (a socket's server holds all of it). A view of the same fold, not a second one."""
        return self._answer.extended(item for item in self._queue.pending() if item is not _END and item is not _METRICS)

    @property
    def state(self) -> TurnPhase:
        if self._phase is not TurnPhase.DONE and self.cancel_requested_at is not None:
            return TurnPhase.STOPPING
        return self._phase

    def stats(self) -> TurnStats:
        clock = self.clock
        return TurnStats(clock.started, clock.connect_ms, clock.ttft_ms, clock.tokens_per_s, clock.usage, clock.attempts, tuple(clock.arrivals), self.cancel_requested_at)

    def count_from(self, started: float) -> None:
        self.clock.started = started

    def _table_cost(self) -> Cost | Notice | None:
        """The turn's cost from the price table, unless the server said what it cost."""
        answer = self.answer()
        if self.target.price is None or answer.usage is None or (answer.cost is not None and answer.cost.source == "server"):
            return None
        return turn_cost(self.target.price, answer.usage)

    def cancel(self) -> None:
        """Stop the answer at once; what was shown stays."""
        if self.cancel_requested_at is not None or (self.finished.is_set() and self._queue.empty()):
            return  # a finished answer still being consumed (the screen catching up) can be cut
        self.cancel_requested_at = time.perf_counter()
        if not self.finished.is_set():
            self._cancel_sent()  # the server is still answering: tell it to stop
        # else everything has arrived and only the unshown rest is dropped here: a cancel sent now
        # would reach the server's *next* response (a hands-free turn that has already begun)

    def _cancel_sent(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _abandoned(self) -> None:
        """The consumer stopped reading before the end (hook for sockets that must cancel)."""

    # ---- the producer's side

    async def _run(self) -> None:
        try:
            for notice in self._notices:
                self.put(notice)
            await self._produce()
        except asyncio.CancelledError:
            self.finish(Done("interrupted"))
        except Exception as exc:  # a bug must not lose the partial answer or hang the UI
            self.finish(unexpected(exc), Done("error"))
        finally:
            self.finish(Done("error"))  # no-op when already finished
            self._queue.put_nowait(_END)

    async def _produce(self) -> None:
        raise NotImplementedError

    def put(self, event: Event) -> None:
        """Queue one event for the consumer.

        Every provider-reported text (errors, notices) is made inert and has the key
        taken out here, whatever path it came by; a repeated warning is counted rather
        than queued; the answer is cut and stopped at `answer_cap` characters."""
        if self.finished.is_set():
            return
        if isinstance(event, ANSWER_EVENTS):
            size = answer_chars(event)
            if self.answer_cap and self._answer_chars + size > self.answer_cap:
                self._reach_cap(event)
                return
            self._answer_chars += size
            self.content_sent = True
        elif isinstance(event, Error):
            event = self.redacted(event)
        elif isinstance(event, Notice):
            if not self._merger.admit(event):
                return
            event = self.inert(event)
        self._queue.put_nowait(event)

    @property
    def queued(self) -> int:
        """Events received but not yet handed to the consumer."""
        return len(self._queue)

    @property
    def held_back(self) -> bool:
        """The producer is waiting for the consumer to catch up (backpressure at work)."""
        return self._queue.holding

    @property
    def received_chars(self) -> int:
        """Characters of answer taken from the producer so far (what the cap counts)."""
        return self._answer_chars

    def backlog(self) -> Awaitable[None] | None:
        """None while the consumer keeps up; else something to await until it has caught up
        (backpressure, for producers that can wait)."""
        return self._queue.room_wait()

    def _reach_cap(self, event: Event) -> None:
        """Keep what fits of `event`, say why the answer ends here, end it, and stop the server."""
        rest = cut_to(event, self.answer_cap - self._answer_chars)
        if rest is not None:
            self._answer_chars += answer_chars(rest)
            self.content_sent = True
            self._queue.put_nowait(rest)
        self.capped = True
        self.finish(cap_notice(self.answer_cap), Done("length"))
        self._stop_capped()

    def _stop_capped(self) -> None:
        """Hook: the answer reached its cap; stop the producer (sockets tell the server)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def finish(self, *events: Event) -> None:
        """End once: any leading events (an error), the turn's metrics, then `Done` last."""
        if self.finished.is_set():
            return
        *leading, done = events
        for event in leading:
            self.put(event)  # redacted there
        for summary in self._merger.summaries():
            self._queue.put_nowait(self.inert(summary))
        self._queue.put_nowait(_METRICS)
        self._queue.put_nowait(done)
        self.finished.set()
        self._ended(done)

    def _ended(self, done: Done) -> None:
        """Hook: the producer finished (sockets record the answer the server now holds)."""

    def inert(self, notice: Notice) -> Notice:
        """A notice with the key taken out and made inert, before anyone sees it."""
        return Notice(redact(terminal_safe(notice.text), self.target.key), notice.level)

    def redacted(self, error: Error) -> Error:
        """A provider's words with the key taken out and made inert, before anyone sees them."""
        return Error(error.kind, redact(terminal_safe(error.message), self.target.key), error.retryable)

"""The turn interface and the queue every turn streams through.

Why one queue class: the answer must stop the instant the user presses Ctrl-C
(nothing queued before it is shown), the clock must stamp tokens where the user
sees them, and the answer must be folded from exactly what was shown. Doing
that once, here, is what keeps SSE, WebSocket, WebRTC and voice turns alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from rtchat.answer import AnswerBuilder
from rtchat.conversation import Conversation
from rtchat.errors import unexpected
from rtchat.events import ANSWER_EVENTS, Cost, Done, Error, Event, Notice
from rtchat.metrics import TurnClock
from rtchat.sanitize import terminal_safe
from rtchat.secrets import redact
from rtchat.target import Target

if TYPE_CHECKING:
    from rtchat.live.connection import LiveConnection



class TurnPhase(Enum):
    """Where a turn is, for the status line."""

    CONNECTING = "connecting"
    THINKING = "thinking"
    STREAMING = "streaming"
    DONE = "done"


class Turn(Protocol):
    """What every turn offers; the app, `ask` and the bench use nothing else."""

    target: Target
    conversation: Conversation
    protocol: str
    clock: TurnClock
    answer: AnswerBuilder
    opening_phase: TurnPhase
    cancel_requested_at: float | None
    connection: LiveConnection | None

    def events(self) -> AsyncIterator[Event]: ...

    def cancel(self) -> None: ...


_END = object()
_METRICS = object()  # stands for the Metrics event, made from the clock when it is handed out


class QueuedTurn:
    """A producer task puts events on a queue; `events()` hands them out, stamping and folding.

    Subclasses implement `_produce()` (put events with `put`, end with `finish`) and,
    where cancelling needs more than stopping the task, `_cancel_sent()`."""

    protocol = "sse"
    opening_phase = TurnPhase.CONNECTING
    connection: LiveConnection | None = None  # the persistent socket or call a turn runs on, if any

    def __init__(self, target: Target, conversation: Conversation, effort: str | None = None, notices: list[Notice] | None = None) -> None:
        self.target = target
        self.conversation = conversation
        self.effort = effort
        self.clock = TurnClock()
        self.answer = AnswerBuilder(target.provider.id)  # what the user was shown
        self.cancel_requested_at: float | None = None
        self.content_sent = False  # a piece of the answer left the producer: no silent retry from here
        self.finished = asyncio.Event()
        self._notices = list(notices or [])
        self._queue: asyncio.Queue = asyncio.Queue()
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
                        self.answer.apply(cost)
                        yield cost
                    item = self.clock.metrics()
                elif self.cancel_requested_at is not None and isinstance(item, ANSWER_EVENTS):
                    self._cut_short = True
                    continue  # queued before Ctrl-C but not yet shown: the answer stops at once
                elif self._cut_short and isinstance(item, Done) and item.reason == "complete":
                    item = Done("interrupted")  # it all arrived, but the user stopped it part way
                self.clock.observe(item)
                self.answer.apply(item)
                yield item
        finally:
            if not self._task.done():
                self._task.cancel()
                self._abandoned()

    def _table_cost(self) -> Cost | None:
        """The turn's cost from the price table, unless the server said what it cost."""
        answer = self.answer.answer()
        if self.target.price is None or answer.usage is None or (answer.cost is not None and answer.cost.source == "server"):
            return None
        return self.target.price.cost(answer.usage)

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
        """Queue one event for the consumer. Every provider-reported text (errors, notices) is
        made inert and has the key taken out here, whatever path it came by."""
        if self.finished.is_set():
            return
        if isinstance(event, ANSWER_EVENTS):
            self.content_sent = True
        elif isinstance(event, Error):
            event = self.redacted(event)
        elif isinstance(event, Notice):
            event = Notice(redact(terminal_safe(event.text), self.target.key), event.level)
        self._queue.put_nowait(event)

    def finish(self, *events: Event) -> None:
        """End once: any leading events (an error), the turn's metrics, then `Done` last."""
        if self.finished.is_set():
            return
        *leading, done = events
        for event in leading:
            self.put(event)  # redacted there
        self._queue.put_nowait(_METRICS)
        self._queue.put_nowait(done)
        self.finished.set()
        self._ended(done)

    def _ended(self, done: Done) -> None:
        """Hook: the producer finished (sockets record the answer the server now holds)."""

    def redacted(self, error: Error) -> Error:
        """A provider's words with the key taken out and made inert, before anyone sees them."""
        return Error(error.kind, redact(terminal_safe(error.message), self.target.key), error.retryable)

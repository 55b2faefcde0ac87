"""One turn on a persistent socket, with the same face as an SSE `Turn`.

The UI, `rtchat ask` and the benchmarks iterate `events()` and call `cancel()`
without knowing which transport runs underneath. Events arrive from the
connection's reader task through `push()`; the turn keeps the figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from rtchat.conversation import Conversation
from rtchat.events import Done, Error, Event, Notice, TextDelta, Usage
from rtchat.sanitize import terminal_safe
from rtchat.secrets import redact

if TYPE_CHECKING:
    from rtchat.live.connection import LiveConnection
    from rtchat.session import Target

_END = object()


CONTENT_TYPES = ("text", "thinking", "tool_call", "redacted_thinking", "transcript", "audio")


class SocketTurn:
    """`events()` ends with Metrics then Done; `cancel()` stops the answer over the socket."""

    def __init__(self, connection: LiveConnection, target: Target, conversation: Conversation, effort: str | None, notices: list[Notice]) -> None:
        from rtchat.session import TurnStats  # the same live figures the status line reads for SSE

        self.connection = connection
        self.session = None
        self.target = target
        self.conversation = conversation
        self.effort = effort
        self.protocol = "websocket"
        self.stats = TurnStats()
        self.cancel_requested_at: float | None = None
        self.finished = asyncio.Event()
        self.sent = False  # the request left: from now on cancel goes over the socket
        self.sent_at: float | None = None
        self.text_parts: list[str] = []
        self._shown_text: list[str] = []
        self._notices = notices
        self._queue: asyncio.Queue = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self._error_seen = False

    @property
    def answer_text(self) -> str:
        return "".join(self.text_parts)

    def cancel(self) -> None:
        """Stop the answer: before the request left, at once; after, with the protocol's cancel."""
        if self.finished.is_set() or self.cancel_requested_at is not None:
            return
        self.cancel_requested_at = time.perf_counter()
        self.text_parts = list(self._shown_text)  # the answer as the user saw it: the context from now on
        if not self.sent:
            if self._task is not None and not self._task.done():
                self._task.cancel()
            return
        self.connection.spawn(self.connection.interrupt(self))

    async def events(self) -> AsyncIterator[Event]:
        self._task = asyncio.create_task(self._produce())
        try:
            while True:
                item = await self._queue.get()
                if item is _END:
                    return
                if self.cancel_requested_at is not None and getattr(item, "type", None) in CONTENT_TYPES:
                    continue  # already queued when the user cancelled: not shown
                if isinstance(item, TextDelta):
                    self._shown_text.append(item.text)
                yield item
        finally:
            if not self._task.done():
                self._task.cancel()
                if self.sent and not self.finished.is_set():
                    self.connection.spawn(self.connection.interrupt(self))

    async def _produce(self) -> None:
        try:
            for notice in self._notices:
                self._queue.put_nowait(notice)
            await self.connection.run(self)
            await self.connection.watch_for_stall(self)
        except asyncio.CancelledError:
            self.end(Done("interrupted"))
        except Exception as exc:  # a bug must not lose the partial answer or hang the UI
            self.end(Error("internal", redact(f"rtchat hit an unexpected error: {type(exc).__name__}: {exc}", self.target.key)), Done("error"))
        finally:
            self.end(Done("error"))  # no-op when already finished
            self._queue.put_nowait(_END)

    # ---- fed by the connection

    def notice(self, notice: Notice) -> None:
        if not self.finished.is_set():
            self._queue.put_nowait(notice)

    def push(self, event: Event) -> None:
        """One decoded event of this turn's answer."""
        if self.finished.is_set():
            return
        stats = self.stats
        if isinstance(event, Done):
            self.end(event)
            return
        if isinstance(event, Error):
            if self._error_seen:
                return  # one failure, one message (Realtime sends `error` and then a failed response)
            self._error_seen = True
            event = Error(event.kind, redact(terminal_safe(event.message), self.target.key), event.retryable)
        elif isinstance(event, Usage):
            stats.usage = event
        elif event.type in CONTENT_TYPES:
            if self.cancel_requested_at is not None:
                return  # Ctrl-C stops the answer at once: what the server sends before it sees the cancel is dropped
            now = time.perf_counter()
            if stats.first_token_at is None:
                stats.first_token_at = now
            stats.last_token_at = now
            stats.chunks += 1
            if event.type == "text":
                self.text_parts.append(event.text)
        self._queue.put_nowait(event)

    def end(self, *events: Event) -> None:
        """Finish once: any leading events (an error), the metrics, then Done."""
        if self.finished.is_set():
            return
        *leading, done = events
        for event in leading:
            self.push(event)
        self._queue.put_nowait(self.stats.metrics())
        self._queue.put_nowait(done)
        self.finished.set()
        self.connection.turn_ended(self, done.reason)

"""A turn on a persistent connection (a WebSocket, or a WebRTC call's data channel).

The connection's reader pushes decoded events in (`push`); cancelling sends the
protocol's cancel over the open socket, so the socket outlives the turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, Protocol

from rtchat.config_rules import NetworkSettings
from rtchat.conversation import Conversation
from rtchat.events import ANSWER_EVENTS, Done, Error, Event, Notice
from rtchat.target import Target
from rtchat.turns.base import QueuedTurn


class TurnHost(Protocol):
    """What a socket turn asks of the connection it runs on (`live.connection.LiveConnection`
    is the one): declared here, below `live/`, so a turn needs no import of the layer above it."""

    network: NetworkSettings

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task: ...
    async def run(self, turn: SocketTurn) -> None: ...
    async def watch_for_stall(self, turn: SocketTurn) -> None: ...
    async def interrupt(self, turn: SocketTurn) -> None: ...
    async def stop_capped(self, turn: SocketTurn) -> None: ...
    def turn_ended(self, turn: SocketTurn, reason: str) -> None: ...


class SocketTurn(QueuedTurn):
    protocol = "websocket"

    def __init__(self, connection: TurnHost, target: Target, conversation: Conversation, effort: str | None, notices: list[Notice], protocol: str = "websocket") -> None:
        super().__init__(target, conversation, effort, notices)
        self.connection = connection
        self.protocol = protocol
        self.sent = False  # the request left: from now on cancel goes over the socket
        self.sent_at: float | None = None
        self.progress_at: float | None = None  # the last decoded event (not a ping, not a notice): the stall clock
        self.answer_cap = connection.network.max_answer_chars
        self._error_seen = False

    @property
    def answer_text(self) -> str:
        """The answer as the server now holds it in its context: after Ctrl-C, what the user saw;
        else all it sent, shown or still queued (as the user will see it: cut at the answer cap)."""
        answer = self.answer() if self.cancel_requested_at is not None else self.received_answer()
        return answer.spoken_text

    async def _produce(self) -> None:
        await self.connection.run(self)
        await self.connection.watch_for_stall(self)

    def _cancel_sent(self) -> None:
        if not self.sent:
            super()._cancel_sent()
            return
        self.connection.spawn(self.connection.interrupt(self))

    def _stop_capped(self) -> None:
        if self.sent:
            self.connection.spawn(self.connection.stop_capped(self))
        else:
            super()._stop_capped()

    def _abandoned(self) -> None:
        if self.sent and not self.finished.is_set():
            self.connection.spawn(self.connection.interrupt(self))

    def _ended(self, done: Done) -> None:
        self.connection.turn_ended(self, done.reason)

    # ---- fed by the connection

    def notice(self, notice: Notice) -> None:
        self.put(notice)

    def push(self, event: Event) -> None:
        """One decoded event of this turn's answer."""
        if self.finished.is_set():
            return
        if isinstance(event, Done):
            self.finish(event)
            return
        if isinstance(event, Error):
            if self._error_seen:
                return  # one failure, one message (Realtime sends `error` and then a failed response)
            self._error_seen = True
        elif isinstance(event, ANSWER_EVENTS) and self.cancel_requested_at is not None:
            return  # Ctrl-C stops the answer at once: what the server sends before it sees the cancel is dropped
        if not isinstance(event, Notice):
            self.progress_at = time.perf_counter()
        self.put(event)

    def end(self, *events: Event) -> None:
        """Finish once with any leading events (an error), then Done."""
        *leading, done = events
        for event in leading:
            self.push(event)
        self.finish(done)

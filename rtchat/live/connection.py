"""One persistent socket per conversation, shared by its turns.

`LiveConnection` owns what every live protocol shares: opening (with backoff),
the reader task that routes decoded events to the running turn, what the
server already knows of the conversation (so a turn sends only what is new,
or rebuilds it all on a fresh socket), interrupts, and the socket state the
status line shows. Subclasses (realtime.py, gemini.py, responses.py) supply the
protocol: address, handshake, how to send a turn, how (or whether) to cancel.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from rtchat.conversation import ChatMessage
from rtchat.errors import describe_status, retry_notice, stall_error
from rtchat.events import Done, Error, ErrorKind, Event, Notice
from rtchat.retry import Backoff
from rtchat.secrets import redact
from rtchat.target import Target, is_local, preflight
from rtchat.transports.websocket import SocketAddress, SocketFailure, close_of, describe_close, open_socket

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.turns.socket import SocketTurn

CANCEL_GRACE = 1.0  # seconds a cancelled turn waits for the server's confirmation
STATES = ("idle", "connecting", "open", "reconnecting", "closed")
Known = tuple[str, str]  # (role, text) of a message the server holds


def fits(known: list[Known], history: list[Known]) -> bool:
    """Whether the server's context can serve this history by adding messages only.

    The server may be behind (send what it lacks) or ahead by what the caller
    dropped: an interrupted partial answer or an unanswered prompt, both of which
    the server keeps. Anything else means the history was edited.
    """
    return history[: len(known)] == known or known[: len(history)] == history


class LiveConnection:
    """Socket lifecycle and turn routing; see the module docstring."""

    wire = ""
    cancels_in_band = True  # False: the protocol has no cancel message, so interrupt = close the socket

    def __init__(self, target: Target, network: NetworkSettings) -> None:
        self.target = target
        self.network = network
        self.state = "idle"
        self.listeners: list[Callable[[str], None]] = []
        self.socket: ClientConnection | None = None
        self.known: list[Known] = []
        self.current: SocketTurn | None = None
        self.opened = 0  # sockets opened so far (the first handshake, then reconnects)
        self.orphans = 0  # answers given up on (grace ran out) whose end has not arrived yet
        self._orphans_drained = asyncio.Event()
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self._opening: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closing = False
        self.system: str | None = None  # the conversation's system prompt, for handshakes that carry it
        self.last_frame_at = time.perf_counter()  # any frame is a sign of life (the stall watchdog reads it)

    # ---------------------------------------------------------------- protocol hooks

    def address(self) -> SocketAddress:
        raise NotImplementedError

    async def handshake(self, socket: ClientConnection) -> None:
        """After the upgrade, before the first turn (e.g. Live `setup` / `setupComplete`)."""

    def decode(self, frame: str | bytes) -> list[Event]:
        raise NotImplementedError

    async def send_turn(self, turn: SocketTurn, unsent: list[ChatMessage]) -> None:
        """Send the messages the server lacks (earlier ones first), then ask for an answer."""
        raise NotImplementedError

    async def send_cancel(self) -> None:
        raise NotImplementedError

    def refused(self, status: int, body: bytes) -> Error:
        return describe_status(self.target, status, body, 1)

    def resumed_known(self) -> list[Known] | None:
        """What a reopened socket still knows (Live resumption); None: a fresh session."""
        return None

    # ---------------------------------------------------------------- state

    def set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        for listener in list(self.listeners):
            try:
                listener(state)
            except Exception:  # a UI callback must not break the socket
                pass

    def add_listener(self, listener: Callable[[str], None]) -> None:
        self.listeners.append(listener)

    @property
    def is_open(self) -> bool:
        return self.socket is not None and self.socket.state.name == "OPEN"

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def send_json(self, payload: dict) -> None:
        if self.socket is None:
            raise SocketFailure(Error(ErrorKind.CONNECTION, f"the connection to {self.target.host} is closed", retryable=True))
        try:
            await self.socket.send(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        except ConnectionClosed as exc:
            code, reason = close_of(exc)
            raise SocketFailure(describe_close(self.target.host, code, reason, "while sending")) from None

    # ---------------------------------------------------------------- opening

    async def ensure_open(self, turn: SocketTurn | None = None) -> float:
        """The handshake time in ms if a socket had to be opened, else 0."""
        if self.is_open:
            return 0.0
        if self._opening is None or self._opening.done():
            self._opening = asyncio.create_task(self._open_with_backoff(turn))
        return await asyncio.shield(self._opening)

    async def _open_with_backoff(self, turn: SocketTurn | None) -> float:
        network = self.network
        failure: Error | None = None
        backoff = Backoff(network.retries, network.max_retry_wait)
        for attempt in range(1, network.retries + 1):
            self.set_state("connecting" if self.opened == 0 else "reconnecting")
            if turn is not None:
                turn.clock.attempts = attempt
            try:
                return await self._open_once()
            except SocketFailure as exc:
                failure = exc.error
            delay = backoff.delay(attempt) if failure.retryable else None
            if delay is None:
                break
            if turn is not None:
                turn.notice(Notice(retry_notice(f"could not open the WebSocket to {self.target.address}", delay, attempt, network.retries)))
            await asyncio.sleep(delay)
        self.set_state("closed")
        assert failure is not None
        raise SocketFailure(Error(failure.kind, redact(failure.message, self.target.key), failure.retryable))

    async def _open_once(self) -> float:
        address = self.address()
        try:
            socket, connect_ms = await open_socket(address, self.network.connect_timeout, local=is_local(self.target.base_url))
        except InvalidStatus as exc:
            response = exc.response
            error = self.refused(response.status_code, bytes(response.body or b""))
            raise SocketFailure(error) from None
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.handshake(socket), self.network.connect_timeout)
        except ConnectionClosed as exc:
            await socket.close()
            code, reason = close_of(exc)
            raise SocketFailure(describe_close(address.host, code, reason, "right after the handshake")) from None
        except (TimeoutError, asyncio.TimeoutError):
            await socket.close()
            raise SocketFailure(Error(ErrorKind.TIMEOUT, f"{address.host} did not finish setting up the session within {self.network.connect_timeout:g} s", retryable=True)) from None
        except BaseException:
            await socket.close()
            raise
        resumed = self.resumed_known()
        self.known = list(resumed) if resumed is not None else []
        self.socket = socket
        self.opened += 1
        self._reader = asyncio.create_task(self._read(socket))
        self.set_state("open")
        return connect_ms + (time.perf_counter() - started) * 1000

    # ---------------------------------------------------------------- reading

    async def _read(self, socket: ClientConnection) -> None:
        code: int | None = None
        reason = ""
        try:
            async for frame in socket:
                self.last_frame_at = time.perf_counter()
                for event in self.decode(frame):
                    self.route(event)
            code, reason = socket.close_code, socket.close_reason or ""
        except ConnectionClosed as exc:
            code, reason = close_of(exc)
        finally:
            if self.socket is socket:
                self.socket = None
            if not self._closing:
                self.on_closed(code, reason)

    def route(self, event: Event) -> None:
        turn = self.current
        if turn is None:
            if isinstance(event, Done) and self.orphans:
                self.orphans -= 1
                if not self.orphans:
                    self._orphans_drained.set()
            return
        turn.push(event)

    def on_closed(self, code: int | None, reason: str) -> None:
        """The server (or the network) ended the socket."""
        self.set_state("idle" if code == 1000 else "closed")
        self.orphans = 0
        self._orphans_drained.set()
        turn = self.current
        if turn is not None and not turn.finished.is_set():
            when = "mid-answer; the partial answer is kept" if turn.content_sent else "before the answer began"
            error = describe_close(self.target.host, code, reason, when)
            turn.end(Error(error.kind, redact(error.message, self.target.key), error.retryable), Done("error"))

    # ---------------------------------------------------------------- turns

    async def run(self, turn: SocketTurn) -> None:
        """Send one turn: interrupt the one still streaming, open (or reuse) the socket, sync context."""
        previous = self.current
        if previous is not None and not previous.finished.is_set():
            previous.cancel()  # type while it streams: the new message wins
            await asyncio.wait_for(previous.finished.wait(), CANCEL_GRACE * 3)
        async with self._lock:
            problem = preflight(self.target)
            if problem is not None:
                turn.end(problem, Done("error"))
                return
            if self.orphans:
                try:
                    await asyncio.wait_for(self._orphans_drained.wait(), CANCEL_GRACE)
                except (TimeoutError, asyncio.TimeoutError):
                    await self.drop()  # the old answer never ended: start clean rather than mix them
            self.system = turn.conversation.system
            messages = turn.conversation.messages
            history = [(m.role, m.text) for m in messages[:-1]]
            if self.is_open and not fits(self.known, history):
                await self.drop()  # the conversation was edited: the socket's context is wrong
            try:
                turn.clock.connect_ms = await self.ensure_open(turn)
            except SocketFailure as exc:
                turn.end(exc.error, Done("error"))
                return
            behind = history[: len(self.known)] == self.known
            unsent = list(messages[len(self.known) :]) if behind else list(messages[-1:])
            self.current = turn
            turn.sent = True
            turn.sent_at = time.perf_counter()
            try:
                await self.send_turn(turn, unsent)
            except SocketFailure as exc:
                turn.end(exc.error, Done("error"))
                return
            self.known = [(m.role, m.text) for m in messages]

    def turn_ended(self, turn: SocketTurn, reason: str) -> None:
        """Remember the answer as the server holds it; free the socket for the next turn."""
        if self.current is turn:
            self.current = None
            if turn.sent and turn.answer_text and reason != "error":
                self.known.append(("assistant", turn.answer_text))
            elif turn.sent and reason == "error" and self.is_open:
                self.known.append(("assistant", turn.answer_text))  # kept by the server as far as it got

    async def watch_for_stall(self, turn: SocketTurn) -> None:
        """End a turn whose server went silent (pings may still be answered) with a clear timeout."""
        stall = self.network.stall_timeout
        while not turn.finished.is_set():
            since = max(self.last_frame_at, turn.sent_at or 0.0)
            remaining = since + stall - time.perf_counter()
            if remaining <= 0:
                turn.end(stall_error(self.target.host, stall, turn.content_sent), Done("error"))
                await self.drop()  # the socket's state is unknown now: the next turn starts clean
                return
            try:
                await asyncio.wait_for(turn.finished.wait(), remaining)
            except (TimeoutError, asyncio.TimeoutError):
                pass

    async def interrupt(self, turn: SocketTurn) -> None:
        """Cancel over the socket, then wait (briefly) for the server to confirm."""
        if turn.finished.is_set():
            return
        if not self.cancels_in_band:
            await self.drop()
            turn.end(Done("interrupted"))
            return
        try:
            await self.send_cancel()
        except SocketFailure:
            turn.end(Done("interrupted"))
            return
        try:
            await asyncio.wait_for(turn.finished.wait(), CANCEL_GRACE)
        except (TimeoutError, asyncio.TimeoutError):
            if not turn.finished.is_set():
                self.orphans += 1
                self._orphans_drained.clear()
                turn.end(Done("interrupted"))

    async def drop(self) -> None:
        """Close the socket on purpose (no error shown); the next turn opens a fresh one."""
        socket, self.socket = self.socket, None
        if socket is None:
            return
        self._closing = True
        try:
            await socket.close()
            if self._reader is not None:
                await asyncio.gather(self._reader, return_exceptions=True)
        finally:
            self._closing = False
        self.known = []
        self.orphans = 0
        self.set_state("idle")

    async def aclose(self) -> None:
        turn = self.current
        if turn is not None and not turn.finished.is_set():
            turn.end(Done("interrupted"))
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        await self.drop()
        for task in list(self._tasks):
            task.cancel()
        self.set_state("closed")

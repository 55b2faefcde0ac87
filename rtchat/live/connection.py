"""One persistent connection per conversation, shared by its turns.

`LiveConnection` owns what every live protocol shares at the turn level:
opening (with backoff), routing decoded events to the running turn, interrupts,
the stall watchdog, and the state the status line shows. Bytes move through the
transport's one owner (`SocketOwner` here; a WebRTC call in webrtc.py); what to
send and what the server holds live in the wire's pure protocol object.
Subclasses (realtime.py, gemini.py, responses.py) name the protocol and address.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from rtchat.conversation import ToolResult, ToolSpec
from rtchat.errors import DeadlinePassed, deadline_error
from rtchat.events import Done, Error, ErrorKind, Event, Notice
from rtchat.request_errors import describe_status
from rtchat.retry import GaveUp, TryAgain, run_with_retries
from rtchat.secrets import redact
from rtchat.target import Target, is_local, preflight
from rtchat.transports.sse import Deadlines
from rtchat.transports.websocket import ConnectionState, SocketAddress, SocketFailure, SocketOwner, Watched, describe_close

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.debuglog import WireLog
    from rtchat.turns.socket import SocketTurn

CANCEL_GRACE = 1.0  # seconds a cancelled turn waits for the server's confirmation
UNHEARD_KEPT = 3  # notices kept for the next turn when none is running


class LiveConnection(Watched):
    """Turn routing over one transport owner; see the module docstring."""

    wire = ""
    cancels_in_band = True  # False: the protocol has no cancel message, so interrupt = close the socket

    def __init__(self, target: Target, network: NetworkSettings) -> None:
        self.target = target
        self.network = network
        self.wire_log: WireLog | None = None  # `--debug` (log_wire)
        super().__init__()
        self.protocol = self.make_protocol()
        self.owner = self.make_owner()
        self.current: SocketTurn | None = None
        self.opened = 0  # sockets (or calls) opened so far: the first, then reconnects
        self.orphans = 0  # answers given up on (grace ran out) whose end has not arrived yet
        self._orphans_drained = asyncio.Event()
        self._lock = asyncio.Lock()
        self._opening: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self.system: str | None = None  # the conversation's system prompt, for handshakes that carry it
        self.tools: tuple[ToolSpec, ...] = ()  # the tools offered by the latest turn, for handshakes that carry them
        self.unheard: list[Notice] = []  # notices that arrived between turns (a server breaking the protocol), for the next turn
        self.last_frame_at = time.perf_counter()  # any frame is a sign of life (the stall watchdog reads it)

    # ---------------------------------------------------------------- protocol hooks

    def make_protocol(self) -> Any:
        """The wire's protocol object (receive_data / events_received / data_to_send)."""
        return None

    def address(self) -> SocketAddress:
        raise NotImplementedError

    def queue_turn(self, turn: SocketTurn) -> None:
        self.protocol.send_turn(turn.conversation)

    def queue_tool_results(self, turn: SocketTurn, results: list[ToolResult]) -> bool:
        """Hook: the step's results in the wire's shape, and whatever makes the model go on;
        False when nothing was left to send (the server withdrew every call)."""
        return self.protocol.send_tool_results(results)

    def new_session_for_tools(self, turn: SocketTurn) -> bool:
        """Hook: whether this turn's tools need a new session (a protocol that fixes them at setup)."""
        return False

    def host_remote_mcp(self, servers: tuple) -> tuple:
        """Hook: which of the `realtime = "remote"` servers this session declares for the provider
        to reach itself; the rest rtchat runs locally (here: all of them, a wire with no remote MCP)."""
        return ()

    def take_approvals(self) -> list:
        """Hook: remote calls the response just ended asking the user about (none here)."""
        return []

    async def send_approvals(self, turn: SocketTurn, answers: list[tuple[str, bool]]) -> None:
        """The user's answers to a remote server's approval requests, on the same socket; the
        next response streams into the same turn."""
        if self.current is not turn or turn.finished.is_set():
            return
        if not self.is_open:
            turn.end(Error(ErrorKind.CONNECTION, f"the connection to {self.target.host} closed while you decided; the partial answer is kept", retryable=True), Done("error"))
            return
        self.protocol.send_approvals(answers)
        try:
            await self.flush()
        except SocketFailure as exc:
            turn.end(exc.error, Done("error"))

    async def send_video(self, jpeg: bytes) -> bool:
        """Hook: a shared frame into the open session (Gemini Live streams it); False: not sent."""
        return False

    def turn_problem(self, turn: SocketTurn) -> Error | None:
        """Why this open session cannot take this turn (None: it can)."""
        return None

    def queue_cancel(self) -> None:
        self.protocol.send_cancel()

    def refused(self, status: int, body: bytes) -> Error:
        return describe_status(self.target, status, body, 1)

    def received(self, events: list[Event]) -> list[Event]:
        """Hook: what of a frame's events reaches the turn."""
        return events

    def resumes(self) -> bool:
        """Hook: whether a close the server made now is resumed on a new socket (Live's going away)."""
        return False

    @property
    def is_open(self) -> bool:
        return self.owner.is_open

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---------------------------------------------------------------- the transport (WebSocket; webrtc.py overrides)

    def make_owner(self) -> SocketOwner | None:
        return SocketOwner(self._on_frame, self.on_closed, self.refused)

    def log_wire(self, wire_log: WireLog | None) -> None:
        """`--debug`: the owner logs every frame both ways (the WebRTC connection logs its channel)."""
        self.wire_log = wire_log
        if self.owner is not None:
            self.owner.wire_log = wire_log

    async def _open_once(self) -> float:
        """Open a socket and set the session up; the time it took in ms."""
        connect_ms = await self.owner.open(self.address(), self.protocol, self.network.connect_timeout, local=is_local(self.target.base_url))
        self.opened += 1
        return connect_ms

    async def flush(self) -> None:
        """Write what the protocol object queued. Raises SocketFailure."""
        await self.owner.flush(self.protocol)

    async def _hang_up(self) -> bool:
        """Close on purpose; whether there was anything to close."""
        return await self.owner.close()

    def _on_frame(self, frame: str | bytes) -> None:
        self.last_frame_at = time.perf_counter()
        self.protocol.receive_data(frame)
        for event in self.received(self.protocol.events_received()):
            self.route(event)

    # ---------------------------------------------------------------- opening

    async def ensure_open(self, turn: SocketTurn | None = None) -> float:
        """The handshake time in ms if a socket had to be opened, else 0."""
        if self.is_open:
            return 0.0
        if self._opening is None or self._opening.done():
            self._opening = asyncio.create_task(self._open_with_backoff(turn))
        return await asyncio.shield(self._opening)

    async def _open_with_backoff(self, turn: SocketTurn | None) -> float:
        notify = (lambda text: turn.notice(Notice(text))) if turn is not None else (lambda text: None)
        try:
            opened = await run_with_retries(lambda attempt: self._try_to_open(attempt, turn), self.network.retries, self.network.max_retry_wait, notify)
            if not isinstance(opened, GaveUp):
                return opened
            failure = opened.error
        except SocketFailure as exc:  # one retrying cannot mend (a refused upgrade)
            failure = exc.error
        self.set_state(ConnectionState.CLOSED)
        raise SocketFailure(Error(failure.kind, redact(failure.message, self.target.key), failure.retryable))

    async def _try_to_open(self, attempt: int, turn: SocketTurn | None) -> float | TryAgain:
        """One opening, its handshake time in ms; `TryAgain` for a failure worth retrying (no turn is on the socket yet)."""
        self.set_state(ConnectionState.CONNECTING if self.opened == 0 else ConnectionState.RECONNECTING)
        if turn is not None:
            turn.clock.attempts = attempt
        try:
            connect_ms = await self._open_once()
        except SocketFailure as exc:
            if not exc.error.retryable:
                raise
            return TryAgain(exc.error, f"could not open the WebSocket to {self.target.address}")
        self.last_frame_at = time.perf_counter()
        self.set_state(ConnectionState.OPEN)
        return connect_ms

    # ---------------------------------------------------------------- reading

    def route(self, event: Event) -> None:
        turn = self.current
        if turn is None:
            if isinstance(event, Notice) and len(self.unheard) < UNHEARD_KEPT:
                self.unheard.append(event)
            if isinstance(event, Done) and self.orphans:
                self.orphans -= 1
                if not self.orphans:
                    self._orphans_drained.set()
            return
        turn.push(event)

    def on_closed(self, code: int | None, reason: str) -> None:
        """The server (or the network) ended the socket."""
        self.set_state(ConnectionState.IDLE if code == 1000 else ConnectionState.CLOSED)
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
            edited = not self.protocol.context.serves(turn.conversation.messages) or turn.conversation.system != self.system
            if self.is_open and (edited or self.new_session_for_tools(turn)):
                await self.drop()  # the conversation (or its system prompt, or tools fixed at setup) changed: the socket's context is wrong
            self.system = turn.conversation.system
            self.tools = turn.offered
            try:
                turn.clock.connect_ms = await self.ensure_open(turn)
            except SocketFailure as exc:
                turn.end(exc.error, Done("error"))
                return
            refusal = self.turn_problem(turn)  # what only the open session reveals (a Realtime server's dialect)
            if refusal is not None:
                turn.end(refusal, Done("error"))
                return
            self.current = turn
            for notice in self.unheard:
                turn.notice(notice)
            self.unheard.clear()
            turn.sent = True
            turn.sent_at = time.perf_counter()
            self.queue_turn(turn)
            try:
                await self.flush()
            except SocketFailure as exc:
                turn.end(exc.error, Done("error"))

    async def send_tool_results(self, turn: SocketTurn) -> None:
        """The results of the step the turn just ran, on the same socket; the next response
        streams into the same turn. Nothing is sent for a turn that has ended."""
        if self.current is not turn or turn.finished.is_set():
            return
        answer = turn.received_answer()
        message = answer.message()
        if answer.tool_calls or message is None or not message.rounds:
            turn.end(Error(ErrorKind.PROTOCOL, "the tool step gave no result for the model's calls; the answer stops here"), Done("error"))
            return
        if not self.is_open:
            turn.end(Error(ErrorKind.CONNECTION, f"the connection to {self.target.host} closed while the tools ran; the partial answer is kept", retryable=True), Done("error"))
            return
        if not self.queue_tool_results(turn, message.rounds[-1].results):
            turn.end(Done("interrupted"))  # the server withdrew the calls: it will not go on from them
            return
        try:
            await self.flush()
        except SocketFailure as exc:
            turn.end(exc.error, Done("error"))

    def turn_ended(self, turn: SocketTurn, reason: str) -> None:
        """Remember the answer as the server holds it; free the socket for the next turn."""
        if self.current is turn:
            self.current = None
            if turn.sent and (turn.answer_text or turn.received_answer().rounds) and reason != "error":
                self.protocol.answered(turn.answer_text)  # tool steps without words: the server holds them all the same
            elif turn.sent and reason == "error" and self.is_open:
                self.protocol.answered(turn.answer_text)  # kept by the server as far as it got

    async def watch_for_stall(self, turn: SocketTurn) -> None:
        """End a turn whose server stopped answering, with a clear timeout, as over HTTP.

        Progress is a decoded event of the turn, not a frame: pings, `rate_limits.updated`
        and frames rtchat skips keep the socket alive but not the answer. The first-token
        and total deadlines apply too."""
        network = self.network
        deadlines = Deadlines(network.stall_timeout, network.first_token_timeout or None, network.total_timeout or None)
        started = turn.sent_at or time.perf_counter()
        while not turn.finished.is_set() and not turn.wants_tools:
            when, which = deadlines.next(started, turn.progress_at or started, turn.content_sent)
            remaining = when - time.perf_counter()
            if remaining <= 0:
                seconds = {"stall": deadlines.stall, "first_token": deadlines.first_token, "total": deadlines.total}[which] or 0.0
                turn.end(deadline_error(self.target.host, DeadlinePassed(which, seconds), turn.content_sent), Done("error"))
                await self.drop()  # the socket's state is unknown now: the next turn starts clean
                return
            try:
                await asyncio.wait_for(turn.wake.wait(), remaining)  # the end, or calls to run
            except (TimeoutError, asyncio.TimeoutError):
                pass

    async def stop_capped(self, turn: SocketTurn) -> None:
        """The turn reached its answer cap (it has ended): tell the server to stop answering."""
        if not self.cancels_in_band:
            await self.drop()
            return
        self.orphans += 1  # the cancelled response's own end is still to come: the next turn waits for it
        self._orphans_drained.clear()
        self.queue_cancel()
        try:
            await self.flush()
        except SocketFailure:
            await self.drop()

    async def interrupt(self, turn: SocketTurn) -> None:
        """Cancel over the socket, then wait (briefly) for the server to confirm."""
        if turn.finished.is_set():
            return
        if not self.cancels_in_band:
            await self.drop()
            turn.end(Done("interrupted"))
            return
        self.queue_cancel()
        try:
            await self.flush()
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
        if not await self._hang_up():
            return
        self.orphans = 0
        self.set_state(ConnectionState.IDLE)

    async def aclose(self) -> None:
        turn = self.current
        if turn is not None and not turn.finished.is_set():
            turn.end(Done("interrupted"))
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        await self.drop()
        for task in list(self._tasks):
            task.cancel()
        self.set_state(ConnectionState.CLOSED)

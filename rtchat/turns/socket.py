"""A turn on a persistent connection (a WebSocket, or a WebRTC call's data channel).

The connection's reader pushes decoded events in (`push`); cancelling sends the
protocol's cancel over the open socket, so the socket outlives the turn.

With a `ToolRunner`, a response that ends asking for calls does not end the turn:
the calls run (approved by the user), their results go back on the same socket
and the next response streams into the same answer (one queue, one clock, one
fold), as `turns.sse.HttpTurn` does over HTTP. Ctrl-C while a call runs cancels
the call and the turn; nothing of it is sent afterwards.

A Realtime GA session may also reach remote MCP servers itself: their approval requests end
a response the same way, are put to the user through the runner, and the answers go back
before the next response (`_approve_remote`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, Protocol

from rtchat.config_rules import McpServer, NetworkSettings
from rtchat.conversation import Conversation, ToolCall, ToolSpec
from rtchat.events import ANSWER_EVENTS, Done, Error, Event, Notice, ToolCallRequest
from rtchat.target import Target
from rtchat.turns.base import QueuedTurn
from rtchat.turns.tool_steps import ToolRunner, step_limit_notice
from rtchat.wire.openai_realtime import ASKED_INDEX, remote_call, remote_call_asked, remote_call_result

DECLINED = "The user declined this tool call."


class TurnHost(Protocol):
    """What a socket turn asks of the connection it runs on (`live.connection.LiveConnection`
    is the one): declared here, below `live/`, so a turn needs no import of the layer above it."""

    network: NetworkSettings

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task: ...
    async def run(self, turn: SocketTurn) -> None: ...
    async def watch_for_stall(self, turn: SocketTurn) -> None: ...
    async def interrupt(self, turn: SocketTurn) -> None: ...
    async def stop_capped(self, turn: SocketTurn) -> None: ...
    async def send_tool_results(self, turn: SocketTurn) -> None: ...
    def host_remote_mcp(self, servers: tuple[McpServer, ...]) -> tuple[McpServer, ...]: ...
    def take_approvals(self) -> list[ToolCallRequest]: ...
    async def send_approvals(self, turn: SocketTurn, answers: list[tuple[str, bool]]) -> None: ...
    def turn_ended(self, turn: SocketTurn, reason: str) -> None: ...


class SocketTurn(QueuedTurn):
    protocol = "websocket"

    def __init__(self, connection: TurnHost, target: Target, conversation: Conversation, effort: str | None, notices: list[Notice], protocol: str = "websocket", tools: ToolRunner | None = None) -> None:
        super().__init__(target, conversation, effort, notices)
        self.connection = connection
        self.protocol = protocol
        self.tools = tools
        self.offered: tuple[ToolSpec, ...] = ()  # what the runner offered this turn (sent at session set-up)
        self.remote: tuple[McpServer, ...] = ()  # MCP servers the provider reaches itself (Realtime GA)
        self.approvals: list[ToolCallRequest] = []  # remote calls the response ended asking the user about
        self.approval_answers: list[tuple[str, bool]] = []  # the user's answers, sent with the step's function outputs
        self.wants_tools = False  # the response just read ended asking for calls: the producer runs them
        self.running_tools = False  # the calls are being approved and run: no response is on the socket
        self.running_calls: tuple[str, ...] = ()  # the ids of the step's calls being run
        self.wake = asyncio.Event()  # the producer has something to do: the turn ended, or calls to run
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
        if self.tools is not None:
            remote_servers = getattr(self.tools, "remote_servers", None)  # optional: `RemoteToolRunner`
            self.remote = self.connection.host_remote_mcp(remote_servers()) if remote_servers is not None else ()
            if self.remote:
                self.tools.leave_out({server.name for server in self.remote})  # type: ignore[attr-defined]
            self.offered = await self.tools.offer(self.put)
        await self.connection.run(self)
        steps = 0
        while True:
            await self.connection.watch_for_stall(self)
            if self.finished.is_set() or not self.wants_tools or self.tools is None:
                return
            if steps >= self.tools.max_steps:
                self.finish(step_limit_notice(steps), Done("length"))
                return
            steps += 1
            calls = [call for call in self.received_answer().tool_calls if not remote_call(call)]  # rtchat's to run
            declined: list[Event] = []
            if self.approvals:
                self.approval_answers, declined = await self._approve_remote(self.tools)
                if self.finished.is_set() or self.cancel_requested_at is not None:
                    self.finish(Done("interrupted"))
                    return
                if not calls:
                    await self.connection.send_approvals(self, self.approval_answers)
                    self._put_all(declined)
                    continue
            await self._run_tools(self.tools, calls)
            if self.finished.is_set() or self.cancel_requested_at is not None:
                self.finish(Done("interrupted"))  # a runner that finished a call after Ctrl-C: its result stays here
                return
            self._put_all(declined)
            await self.connection.send_tool_results(self)  # the outputs, any approval answers, one request to go on
            self.approval_answers = []

    def _put_all(self, events: list[Event]) -> None:
        for event in events:
            self.put(event)

    async def _run_tools(self, tools: ToolRunner, calls: list[ToolCall]) -> None:
        """The open step's function calls, approved and run; the stall clock stops meanwhile (the
        server waits for us) and starts again from the results."""
        self.wants_tools = False
        self.wake.clear()
        self.running_tools, self.running_calls = True, tuple(call.id for call in calls)
        try:
            await tools.run(calls, self.put)
        finally:
            self.running_tools = False
        self.sent_at = self.progress_at = time.perf_counter()

    async def _approve_remote(self, tools: ToolRunner) -> tuple[list[tuple[str, bool]], list[Event]]:
        """Each remote call the server asks about, shown as a call and put to the user on its card;
        the answers, and the results of the declined ones (denied: put once the step's function
        calls are run, so they stay in the same step). An approved one's card takes the result
        the server sends after it ran the call."""
        self.wants_tools = False
        self.wake.clear()
        requests, self.approvals = self.approvals, []
        answers: list[tuple[str, bool]] = []
        declined: list[Event] = []
        self.running_tools = True
        try:
            for number, request in enumerate(requests):
                self._put_all(remote_call_asked(ASKED_INDEX + number, request.id, request.name, request.server or "", request.arguments))
                approve = await tools.approve_remote(request)  # type: ignore[attr-defined]
                answers.append((request.id, approve))
                if not approve:
                    declined.append(remote_call_result(request.id, request.name, request.server or "", DECLINED, "denied"))
        finally:
            self.running_tools = False
        self.sent_at = self.progress_at = time.perf_counter()
        return answers, declined

    def _cancel_sent(self) -> None:
        if not self.sent:
            super()._cancel_sent()
            return
        if self.running_tools or self.wants_tools:
            super()._cancel_sent()  # no response is on the socket: cancel the call in flight and the turn
            return
        self.connection.spawn(self.connection.interrupt(self))

    def _stop_capped(self) -> None:
        if self.sent:
            self.connection.spawn(self.connection.stop_capped(self))
        else:
            super()._stop_capped()

    def stop_tools(self) -> None:
        """The server withdrew the calls being run: cancel them (the runner cancels each at its
        server) and end the turn interrupted; what was said before stays shown."""
        if self.running_tools and self._task is not None and not self._task.done():
            self._task.cancel()

    def _abandoned(self) -> None:
        if self.sent and not self.finished.is_set() and not (self.running_tools or self.wants_tools):
            self.connection.spawn(self.connection.interrupt(self))

    def _ended(self, done: Done) -> None:
        self.wake.set()
        if self.running_tools and self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()  # the socket closed (or a deadline passed) while a call ran: stop the call too
        self.connection.turn_ended(self, done.reason)

    def _asks_for_tools(self, done: Done) -> bool:
        """The response ended with calls to run (some servers say "completed" beside their calls)."""
        return self.tools is not None and self.cancel_requested_at is None and done.reason in ("tool_use", "complete") and bool(self.received_answer().tool_calls)

    # ---- fed by the connection

    def notice(self, notice: Notice) -> None:
        self.put(notice)

    def push(self, event: Event) -> None:
        """One decoded event of this turn's answer."""
        if self.finished.is_set():
            return
        if isinstance(event, Done):
            if self.tools is not None and self.cancel_requested_at is None:
                self.approvals = self.connection.take_approvals()
            if self.approvals or self._asks_for_tools(event):
                self.wants_tools = True  # not the end: the producer runs the calls, then the next response
                self.wake.set()
            else:
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

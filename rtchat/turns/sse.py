"""A turn over HTTP streaming (SSE): one request, retried only before its first token."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from rtchat.conversation import Conversation
from rtchat.errors import RETRY_STATUS, DeadlinePassed, HttpStatusFailure, deadline_error
from rtchat.events import Done, Error, ErrorKind, Notice
from rtchat.request_errors import describe_network_error, describe_status
from rtchat.retry import GaveUp, TryAgain, run_with_retries
from rtchat.target import Target, preflight
from rtchat.transports.sse import ConnectionTiming, Deadlines, StreamTooLarge, stream_events
from rtchat.turns.base import QueuedTurn
from rtchat.turns.tool_steps import ToolRunner, step_limit_notice
from rtchat.wire import WIRES, WireFormat
from rtchat.wire.base import HttpRequest, RequestOptions

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.debuglog import WireLog


SERVER_START_SHOWN = 0.25  # seconds of waiting for tools' servers worth a line (a running server answers in ~1 ms)


class HttpTurn(QueuedTurn):
    """Iterate `events()`; `cancel()` closes the response at once."""

    protocol = "sse"

    def __init__(
        self,
        client: httpx.AsyncClient,
        network: NetworkSettings,
        target: Target,
        conversation: Conversation,
        effort: str | None,
        notices: list[Notice] | None = None,
        wire_log: WireLog | None = None,
        tools: ToolRunner | None = None,
    ) -> None:
        super().__init__(target, conversation, effort, notices)
        self.client = client
        self.network = network
        self.wire_log = wire_log
        self.tools = tools
        self.answer_cap = network.max_answer_chars
        self._wants_tools = False  # the step just read ended asking for tool calls

    async def _produce(self) -> None:
        target, network = self.target, self.network
        problem = preflight(target)
        if problem:
            self.finish(problem, Done("error"))
            return
        wire = WIRES[target.provider.wire]
        specs = await self._offer_tools()
        options = RequestOptions(effort=self.effort, provider_id=target.provider.id, effort_style=target.provider.effort_style, api_version=target.provider.api_version, tools=specs)
        deadlines = Deadlines(network.stall_timeout, network.first_token_timeout or None, network.total_timeout or None)
        conversation, steps = self.conversation, 0
        while True:
            request = wire.build_request(target.base_url, target.key, target.model, conversation, options)
            self._wants_tools = False
            ended = await run_with_retries(lambda attempt: self._one_try(attempt, request, wire, deadlines), network.retries, network.max_retry_wait, lambda text: self.put(Notice(text)))
            if isinstance(ended, GaveUp):
                self.finish(ended.error, Done("error"))
                return
            if not self._wants_tools or self.tools is None:
                return
            if steps >= self.tools.max_steps:
                self.finish(step_limit_notice(steps), Done("length"))
                return
            steps += 1
            await self.tools.run(self.received_answer().tool_calls, self.put)
            # The next step sends the answer so far (its calls as received, then their results).
            conversation = Conversation([*self.conversation.messages, self.received_answer().message()], self.conversation.system)

    async def _one_try(self, attempt: int, request: HttpRequest, wire: WireFormat, deadlines: Deadlines) -> TryAgain | None:
        """One request; `TryAgain` for a failure worth retrying while nothing reached the user."""
        target, network, clock = self.target, self.network, self.clock
        clock.attempts = attempt
        timing = ConnectionTiming()
        try:
            async for event in stream_events(self.client, request, wire.decoder(), timing, deadlines, network.connect_timeout, wire_log=self.wire_log, backpressure=self.backlog):
                if clock.headers_at is None:
                    clock.headers_at = timing.headers
                clock.connect_ms = timing.connect_ms
                if isinstance(event, Error):
                    if event.retryable and not self.content_sent and attempt < network.retries:
                        return TryAgain(event, f"{target.provider.id} reported an error ({event.kind}) before the answer began")
                elif isinstance(event, Done):
                    if self._asks_for_tools(event):
                        self._wants_tools = True  # not the end: the calls run, then the next step
                    else:
                        self.finish(event)
                    return None
                self.put(event)
            self.finish(Done("complete"))
        except HttpStatusFailure as exc:
            clock.connect_ms = timing.connect_ms
            failure = describe_status(target, exc.status, exc.body, attempt, exc.location)
            if exc.status not in RETRY_STATUS:
                self.finish(failure, Done("error"))
                return None
            return TryAgain(failure, f"{target.provider.id} answered {exc.status}", exc.retry_after)
        except DeadlinePassed as exc:
            self.finish(deadline_error(target.host, exc, self.content_sent), Done("error"))
        except StreamTooLarge as exc:
            self.finish(Error(ErrorKind.PROTOCOL, f"{target.host} sent a frame too large to accept ({exc}); what arrived is kept"), Done("error"))
        except (httpx.TransportError, OSError) as exc:
            failure = describe_network_error(target, exc, network, self.content_sent)
            if self.content_sent or isinstance(exc, httpx.ReadTimeout) or not failure.retryable:
                self.finish(failure, Done("error"))
                return None
            reason = f"could not connect to {target.address}" if isinstance(exc, httpx.ConnectError) else f"the connection to {target.address} dropped"
            return TryAgain(failure, reason)

    async def _offer_tools(self) -> tuple:
        """The tools to offer; when MCP servers had to start first, the clock starts after them,
        so time to first token stays the model's figure (one line says what the wait was)."""
        if self.tools is None:
            return ()
        began = time.perf_counter()
        specs = await self.tools.offer(self.put)
        waited = time.perf_counter() - began
        if waited >= SERVER_START_SHOWN:
            self.put(Notice(f"tools ready after {waited:.1f} s (MCP servers started); the turn's figures count from here"))
            self.clock.started = time.perf_counter()
        return specs

    def _asks_for_tools(self, done: Done) -> bool:
        """The step ended with calls to run (some servers say "stop" beside their tool calls)."""
        return self.tools is not None and done.reason in ("tool_use", "complete") and bool(self.received_answer().tool_calls)

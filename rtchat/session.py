"""Runs turns: picks the wire format and transport, retries before the first
token, words errors for people, measures latency, and cancels at once.

A `Session` is long-lived (one per app or `ask` run): it owns the HTTP
connection pools, so later turns reuse the connection, and the in-process
loopback server when the loopback provider is used.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from rtchat.catalog import ModelInfo, ModelRef, Provider, parse_model_ref
from rtchat.config import Config, NetworkSettings
from rtchat.conversation import Conversation
from rtchat.events import (
    Done,
    Error,
    Event,
    Metrics,
    Notice,
    RedactedThinking,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    Usage,
)
from rtchat.sanitize import terminal_safe
from rtchat.secrets import lookup_key, redact
from rtchat.transports.sse import ConnectionTiming, HttpStatusFailure, StreamTooLarge, stream_events
from rtchat.wire import WIRES
from rtchat.wire.base import EFFORT_LEVELS, RequestOptions

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
CONTENT_EVENTS = (TextDelta, ThinkingDelta, ToolCallDelta, RedactedThinking)


@dataclass
class Target:
    """A resolved model: where to send, with which key, in which format."""

    provider: Provider
    model: str
    info: ModelInfo
    base_url: str
    key: str | None = field(repr=False, default=None)
    key_source: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.provider.id}/{self.model}"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or self.base_url


@dataclass
class TurnStats:
    """Live figures of the running turn, read by the status line while it streams."""

    started: float = field(default_factory=time.perf_counter)
    connect_ms: float | None = None
    headers_at: float | None = None
    first_token_at: float | None = None
    last_token_at: float | None = None
    chunks: int = 0
    attempts: int = 0
    usage: Usage | None = None

    def ttft_ms(self) -> float | None:
        return None if self.first_token_at is None else (self.first_token_at - self.started) * 1000

    def tokens_per_s(self) -> float | None:
        if self.first_token_at is None or self.last_token_at is None or self.chunks < 2:
            return None
        span = self.last_token_at - self.first_token_at
        tokens = self.usage.output_tokens if self.usage and self.usage.output_tokens else self.chunks
        return tokens / span if span > 0 else None

    def metrics(self) -> Metrics:
        now = time.perf_counter()
        return Metrics(
            connect_ms=_round(self.connect_ms),
            headers_ms=_round(None if self.headers_at is None else (self.headers_at - self.started) * 1000),
            ttft_ms=_round(self.ttft_ms()),
            total_ms=_round((now - self.started) * 1000),
            tokens_per_s=_round(self.tokens_per_s()),
            output_chunks=self.chunks,
            attempts=self.attempts,
        )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS or (urlsplit(url).hostname or "").startswith("127.")


def server_message(body: bytes) -> str:
    """The human part of an error body, whatever the provider's shape."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or error)[:300]
        return str(error)[:300]
    return text[:300]


def describe_status(target: Target, failure: HttpStatusFailure, tries: int) -> Error:
    provider, status = target.provider.id, failure.status
    detail = server_message(failure.body)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        return Error("auth", f"the key for {provider} was rejected ({status}); set it with `rtchat keys set {provider}`{suffix}")
    if status == 404:
        return Error("not_found", f"{provider} does not know the model '{target.model}' (404); see `rtchat models --provider {provider}`{suffix}")
    if 300 <= status < 400:
        return Error("redirect", f"{provider} redirected the request to {failure.location or 'another address'}; rtchat does not follow redirects, so your key stays with {target.host}. Check the base_url")
    if status == 429:
        return Error("rate_limit", f"{provider} is rate limiting (429) after {tries} tries{suffix}", retryable=True)
    if status == 529:
        return Error("overloaded", f"{provider} is overloaded (529) after {tries} tries; try again shortly{suffix}", retryable=True)
    if status >= 500:
        return Error("server", f"{provider} had a server error ({status}) after {tries} tries{suffix}", retryable=True)
    return Error("bad_request", f"{provider} refused the request ({status}){suffix}")


def describe_network_error(target: Target, exc: Exception, network: NetworkSettings, after_first_token: bool) -> Error:
    host = target.host
    if isinstance(exc, httpx.ReadTimeout):
        when = "mid-answer" if after_first_token else "after the request"
        return Error("timeout", f"{host} sent nothing for {network.stall_timeout:g} s {when} (stall timeout); raise [network] stall_timeout if the model needs longer", retryable=True)
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Error("connection", f"could not connect to {host} within {network.connect_timeout:g} s", retryable=True)
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or type(exc).__name__
        if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
            return Error("tls", f"the TLS certificate of {host} could not be verified ({reason}); rtchat always verifies TLS")
        return Error("connection", f"could not connect to {host} ({reason}); check the network and the base URL", retryable=True)
    if after_first_token:
        return Error("connection", f"the connection to {host} dropped mid-answer ({type(exc).__name__}); the partial answer is kept", retryable=True)
    return Error("connection", f"the connection to {host} failed ({type(exc).__name__}: {exc})", retryable=True)


def preflight(target: Target) -> Error | None:
    """A problem to report before anything leaves (no key, a key about to travel unencrypted)."""
    if target.provider.needs_key and not target.key:
        env = " or ".join(target.provider.key_env) or "an env var"
        return Error("auth", f"no key for {target.provider.id}: set one with `rtchat keys set {target.provider.id}` or export {env}")
    scheme = urlsplit(target.base_url).scheme
    if scheme not in ("http", "https"):
        return Error("config", f"the base URL of {target.provider.id} must start with https:// (got {target.base_url!r})")
    if scheme == "http" and not is_local(target.base_url) and not target.provider.allow_insecure:
        return Error("insecure", f"refusing to send your {target.provider.id} key over plain http to {target.host}; use https, or set allow_insecure = true under [providers.{target.provider.id}]")
    return None


class _RetryInStream(Exception):
    def __init__(self, error: Error) -> None:
        self.error = error


_END = object()


class Turn:
    """One request and its streamed answer. Iterate `events()`; call `cancel()` to stop at once."""

    def __init__(
        self,
        session: "Session",
        target: Target,
        conversation: Conversation,
        effort: str | None,
        notices: list[Notice] | None = None,
    ) -> None:
        self.session = session
        self.target = target
        self.conversation = conversation
        self.effort = effort
        self.stats = TurnStats()
        self.cancel_requested_at: float | None = None
        self._initial_notices = notices or []
        self._task: asyncio.Task | None = None

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self.cancel_requested_at = time.perf_counter()
            self._task.cancel()

    async def events(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue = asyncio.Queue()
        self._task = asyncio.create_task(self._produce(queue.put_nowait))
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if self.cancel_requested_at is not None and isinstance(item, CONTENT_EVENTS):
                    continue  # queued before Ctrl-C but not yet shown: the answer stops at once
                yield item
        finally:
            if not self._task.done():
                self._task.cancel()

    async def _produce(self, emit: Callable[[Event], None]) -> None:
        try:
            for notice in self._initial_notices:
                emit(notice)
            for event in await self._run(emit):
                emit(event)
        except asyncio.CancelledError:
            emit(self.stats.metrics())
            emit(Done("interrupted"))
        except Exception as exc:  # a bug must not lose the partial answer or hang the UI
            emit(Error("internal", redact(f"rtchat hit an unexpected error: {type(exc).__name__}: {exc}", self.target.key)))
            emit(self.stats.metrics())
            emit(Done("error"))
        finally:
            emit(_END)

    def _finish(self, *events: Event) -> list[Event]:
        """The closing events: any error, then the turn's metrics, then `Done` last."""
        *leading, done = events
        return [*leading, self.stats.metrics(), done]

    def _preflight(self) -> Error | None:
        return preflight(self.target)

    async def _run(self, emit: Callable[[Event], None]) -> list[Event]:
        target, network, stats = self.target, self.session.network, self.stats
        problem = self._preflight()
        if problem:
            return self._finish(problem, Done("error"))
        wire = WIRES[target.provider.wire]
        options = RequestOptions(effort=self.effort, provider_id=target.provider.id, effort_style=target.provider.effort_style)
        request = wire.build_request(target.base_url, target.key, target.model, self.conversation, options)
        client = self.session.client_for(target.base_url)
        waited = 0.0
        for attempt in range(1, network.retries + 1):
            stats.attempts = attempt
            timing = ConnectionTiming()
            failure: Error | None = None
            delay = 2.0 ** (attempt - 1)
            try:
                async for event in stream_events(client, request, wire.decoder(), timing, network.stall_timeout, network.connect_timeout, wire_log=self.session.wire_log):
                    if stats.headers_at is None:
                        stats.headers_at = timing.headers
                    stats.connect_ms = timing.connect_ms
                    if isinstance(event, CONTENT_EVENTS):
                        now = time.perf_counter()
                        if stats.first_token_at is None:
                            stats.first_token_at = now
                        stats.last_token_at = now
                        stats.chunks += 1
                    elif isinstance(event, Usage):
                        stats.usage = event
                    elif isinstance(event, Error):
                        event = Error(event.kind, redact(terminal_safe(event.message), target.key), event.retryable)
                        if event.retryable and stats.first_token_at is None and attempt < network.retries:
                            raise _RetryInStream(event)
                    elif isinstance(event, Done):
                        return self._finish(event)
                    emit(event)
                return self._finish(Done("complete"))
            except HttpStatusFailure as exc:
                stats.connect_ms = timing.connect_ms
                failure = describe_status(target, exc, attempt)
                if exc.status not in RETRY_STATUS:
                    return self._finish(failure, Done("error"))
                if exc.retry_after is not None:
                    delay = exc.retry_after
                reason = f"answered {exc.status}"
            except _RetryInStream as exc:
                failure, reason = exc.error, f"reported {exc.error.kind}"
            except StreamTooLarge as exc:
                return self._finish(Error("protocol", f"{target.host} sent a frame too large to accept ({exc}); what arrived is kept"), Done("error"))
            except (httpx.TransportError, OSError) as exc:
                failure = describe_network_error(target, exc, network, stats.first_token_at is not None)
                if stats.first_token_at is not None or isinstance(exc, httpx.ReadTimeout) or not failure.retryable:
                    return self._finish(failure, Done("error"))
                reason = "could not be reached" if isinstance(exc, httpx.ConnectError) else "dropped the connection"
            failure = Error(failure.kind, redact(failure.message, target.key), failure.retryable)
            if attempt == network.retries:
                return self._finish(failure, Done("error"))
            if waited + delay > network.max_retry_wait:
                return self._finish(
                    Error(failure.kind, f"{failure.message} (the server asked to wait {delay:g} s; rtchat waits at most {network.max_retry_wait:g} s in all)", True),
                    Done("error"),
                )
            emit(Notice(f"{target.provider.id} {reason}; retrying in {delay:.1f} s (try {attempt + 1} of {network.retries})"))
            await asyncio.sleep(delay)
            waited += delay
        return self._finish(Done("error"))  # unreachable: the loop always returns


class Session:
    """Shared state across turns: config, connection pools, the on-demand loopback server."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.network = config.network
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._loopback = None
        self._loopback_lock = asyncio.Lock()
        self._live = None  # rtchat.live.LivePool, made on the first WebSocket turn
        self._calls = None  # rtchat.live.webrtc.WebRTCPool, made on the first WebRTC turn
        self.wire_log = None  # a rtchat.debuglog.WireLog under --debug

    def client_for(self, base_url: str) -> httpx.AsyncClient:
        local = is_local(base_url)
        client = self._clients.get(local)
        if client is None:
            # No redirects (a key must not follow one), TLS always verified,
            # and no proxy from the environment for loopback addresses.
            client = httpx.AsyncClient(follow_redirects=False, verify=True, trust_env=not local)
            self._clients[local] = client
        return client

    async def loopback_url(self) -> str:
        async with self._loopback_lock:
            if self._loopback is None:
                from rtchat.loopback import start_loopback

                self._loopback = await start_loopback()
            return self._loopback.url

    async def resolve(self, ref: ModelRef | str, base_url: str | None = None) -> Target:
        if isinstance(ref, str):
            ref = parse_model_ref(ref)
        provider = self.config.catalog.provider(ref.provider)
        url = base_url or provider.base_url
        if not url:
            root = await self.loopback_url()
            url = root + "/v1" if provider.wire in ("openai_chat", "openai_responses") else root
        key = lookup_key(provider)
        if self.wire_log is not None:
            self.wire_log.add_secret(key.value)
        self.client_for(url)  # build the client (and its TLS context) now, not inside the first turn's TTFT
        return Target(provider, ref.model, provider.model(ref.model), url.rstrip("/"), key.value, key.source)

    def effort_for(self, target: Target, requested: str | None) -> tuple[str | None, list[Notice]]:
        """The effort to send: asked for, else the config's, else the catalogue's default."""
        effort = requested or self.config.efforts.get(target.ref) or target.info.default_effort
        if effort is not None and effort not in EFFORT_LEVELS:
            return None, [Notice(f"unknown effort {effort!r}; use one of {', '.join(EFFORT_LEVELS)}", "warning")]
        if requested and requested != "off" and target.info.thinking is False:
            return None, [Notice(f"{target.ref} cannot think; effort {requested} ignored")]
        if target.info.thinking is False:
            return None, []
        return effort, []

    def turn(self, target: Target, conversation: Conversation, effort: str | None = None, protocol: str = "sse"):
        """A `Turn` (SSE) or a `SocketTurn` (WebSocket or WebRTC, on the conversation's persistent connection)."""
        chosen, notices = self.effort_for(target, effort)
        if protocol == "websocket":
            return self.live_pool().turn(target, conversation, chosen, notices)
        if protocol == "webrtc":
            return self.call_pool().turn(target, conversation, chosen, notices)
        problem = None
        if protocol != "sse":  # never a silent fallback: the user asked for something else
            problem = f"unknown protocol {protocol!r}; use sse, websocket or webrtc"
        elif "sse" not in target.info.protocols:
            offered = ", ".join(target.info.protocols)
            problem = f"{target.ref} offers no SSE API ({offered} only); use --protocol {target.info.protocols[0]}"
        if problem:
            from rtchat.live.pool import refused_turn

            turn = refused_turn(target, conversation, chosen, notices, problem)
            turn.protocol = protocol
            return turn
        return Turn(self, target, conversation, chosen, notices)

    def live_pool(self):
        """The persistent sockets, one per conversation and model (`.connection(target, conv).state`)."""
        if self._live is None:
            from rtchat.live import LivePool

            self._live = LivePool(self.network)
        return self._live

    def call_pool(self):
        """The WebRTC calls, one per conversation and model (`.connection(target, conv).state`)."""
        if self._calls is None:
            from rtchat.live.webrtc import WebRTCPool
            from rtchat.voice.settings import voice_settings

            self._calls = WebRTCPool(self.network, self.client_for, voice_settings(self.config.raw).ice_servers)
        return self._calls

    async def aclose(self) -> None:
        if self._calls is not None:
            await self._calls.aclose()
            self._calls = None
        if self._live is not None:
            await self._live.aclose()
            self._live = None
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        if self._loopback is not None:
            await self._loopback.close()
            self._loopback = None
        if self.wire_log is not None:
            self.wire_log.close()

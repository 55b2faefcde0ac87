"""Realtime text turns over a WebRTC call: the `oai-events` data channel is the socket.

Over WebRTC the Realtime conversation is the same as over the WebSocket (items,
`response.create`, `response.cancel`, the same server events); only the pipe
differs. So `RealtimeCallConnection` subclasses `RealtimeConnection` and swaps
the transport hooks only: opening is an SDP offer POSTed to
`{base}/realtime/calls` and then ICE+DTLS until the data channel opens; sending
goes on the data channel; the call ending plays the part of the socket closing.
Context tracking, interrupts, the stall watchdog and turn routing are reused
as they are. The audio track is negotiated sendrecv (the API requires an audio
section) and stays silent; the answer comes as text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from rtchat.audio.support import AudioUnavailable
from rtchat.conversation import Conversation
from rtchat.errors import server_message
from rtchat.events import Done, Error, Event, Notice
from rtchat.request_errors import describe_status
from rtchat.live.pool import LivePool
from rtchat.turns.refused import RefusedTurn
from rtchat.live.realtime import RealtimeConnection
from rtchat.target import Target, is_local
from rtchat.transports.websocket import ConnectionState, SocketFailure
from rtchat.turns.socket import SocketTurn
from rtchat.turns.tool_steps import ToolRunner

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.debuglog import WireLog
    from rtchat.transports.webrtc import RealtimeCall, WebRTCError

ClientFor = Callable[[str], httpx.AsyncClient]
SESSION_WAIT = 2.0  # seconds a new call waits for session.created (which names the dialect) before speaking GA


def offers_webrtc(target: Target) -> bool:
    return "webrtc" in target.info.protocols


class RealtimeCallConnection(RealtimeConnection):
    """One WebRTC call per conversation, kept across its turns; see the module docstring."""

    def __init__(self, target: Target, network: NetworkSettings, client_for: ClientFor, ice_servers: Sequence[Any] = ()) -> None:
        super().__init__(target, network)
        self.client_for = client_for
        self.ice_servers = list(ice_servers)
        self.call: RealtimeCall | None = None
        self._setting_up: RealtimeCall | None = None  # the call being placed: its session.created counts
        self._session_seen = asyncio.Event()

    def make_owner(self) -> None:
        return None  # the owner is the call, made per call in _open_once

    @property
    def is_open(self) -> bool:
        return self.call is not None and self.call.is_open

    # ---------------------------------------------------------------- opening

    async def _open_once(self) -> float:
        from rtchat.transports.webrtc import CONNECT_TIMEOUT, RealtimeCall, WebRTCError, calls_url  # aiortc: loaded on first use

        local = is_local(self.target.base_url)
        began = time.perf_counter()  # the budget counts loading aiortc too: the user waits for both
        try:
            call = RealtimeCall(_ignore, _ignore, ice_servers=() if local else self.ice_servers)
        except AudioUnavailable as exc:
            raise SocketFailure(Error("unavailable", f"WebRTC is not available here ({exc}); use --protocol websocket")) from None
        call.wire_log = self.wire_log  # `--debug`: the data channel's events both ways
        call.on_text = lambda text: self._on_call_frame(call, text)
        call.on_state = lambda state: self._on_call_state(call, state)
        timeout = min(self.network.connect_timeout, CONNECT_TIMEOUT) - (time.perf_counter() - began)
        self.protocol.begin()  # a new call is a new session: the context is rebuilt
        self._setting_up, self._session_seen = call, asyncio.Event()  # session.created may come as the channel opens
        try:
            url = calls_url(self.target.base_url, self.target.model)
            await call.connect(self.client_for(self.target.base_url), url, self.target.key, timeout, session={"type": "realtime", "model": self.target.model, "output_modalities": ["text"]})
            if not self.protocol.ready:  # the dialect (GA or beta) is read from session.created
                await asyncio.wait_for(self._session_seen.wait(), SESSION_WAIT)
        except WebRTCError as exc:
            raise SocketFailure(self.setup_failure(exc)) from None
        except (TimeoutError, asyncio.TimeoutError):
            pass  # a server that announces nothing: speak the provider's configured dialect (GA by default)
        finally:
            self._setting_up = None
        self.protocol.configure()  # once only; ordered channel: applied before the first response.create
        self.call = call
        self.opened += 1
        await self.flush()
        return call.connect_ms or 0.0

    def setup_failure(self, exc: WebRTCError) -> Error:
        """Why the call did not start, worded like the other transports' refusals."""
        if exc.status in (401, 403, 404) or (exc.status is not None and 300 <= exc.status < 400):
            return describe_status(self.target, exc.status, exc.body, 1, exc.location)  # names the key, the model or where a redirect pointed
        if exc.status is not None:
            detail = server_message(exc.body)
            return Error("server" if exc.status >= 500 else "bad_request", f"{self.target.provider.id} refused the WebRTC offer ({exc.status}){': ' + detail if detail else ''}")
        return Error("connection", str(exc))  # not retried: an ICE failure already took the whole timeout

    # ---------------------------------------------------------------- the call's events

    def _on_call_frame(self, call: RealtimeCall, text: str) -> None:
        if call is not self.call and call is not self._setting_up:
            return  # a call we hung up on
        self._on_frame(text)
        if self.protocol.ready:
            self._session_seen.set()

    def received(self, events: list[Event]) -> list[Event]:
        turn = self.current
        if turn is not None and turn.cancel_requested_at is not None and any(isinstance(e, Error) for e in events):
            # e.g. `output_audio_buffer.clear` refused in text mode: no news after a cancel
            events = [e for e in events if not isinstance(e, Error) and not (isinstance(e, Done) and e.reason == "error")]
        return events

    def _on_call_state(self, call: RealtimeCall, state: ConnectionState) -> None:
        if call is not self.call or state not in (ConnectionState.CLOSED, ConnectionState.FAILED):
            return
        self.call = None
        self.spawn(call.close())
        self.on_closed(None, state)

    def on_closed(self, code: int | None, reason: str) -> None:
        """The peer hung up, or the connection failed (ICE consent lost)."""
        self.set_state(ConnectionState.CLOSED)
        self.orphans = 0
        self._orphans_drained.set()
        turn = self.current
        if turn is not None and not turn.finished.is_set():
            when = "mid-answer; the partial answer is kept" if turn.content_sent else "before the answer began"
            how = "failed" if reason == ConnectionState.FAILED else "was closed by the other end"
            turn.end(Error("connection", f"the WebRTC call to {self.target.host} {how} {when}", retryable=True), Done("error"))

    # ---------------------------------------------------------------- sending

    async def flush(self) -> None:
        call = self.call
        if call is None or not call.flush(self.protocol):
            raise SocketFailure(Error("connection", f"the WebRTC call to {self.target.host} has ended", retryable=True))

    def queue_cancel(self) -> None:
        self.protocol.send_cancel(webrtc=True)  # WebRTC: drop any audio queued for the track too

    async def _hang_up(self) -> bool:
        """Hang up on purpose (no error shown); the next turn places a new call."""
        call, self.call = self.call, None
        if call is None:
            return False
        await call.close()
        return True


def _ignore(*args: Any) -> None:
    """The call's parsed-event and audio callbacks: text turns read raw frames and no audio."""


class WebRTCPool(LivePool):
    """One call per conversation (by identity) and model, like the WebSocket pool."""

    def __init__(self, network: NetworkSettings, client_for: ClientFor, ice_servers: Sequence[Any] = (), wire_log: WireLog | None = None) -> None:
        super().__init__(network, wire_log)
        self.client_for = client_for
        self.ice_servers = list(ice_servers)

    def turn(self, target: Target, conversation: Conversation, effort: str | None, notices: list[Notice], tools: ToolRunner | None = None) -> SocketTurn:
        if not offers_webrtc(target):
            offered = ", ".join(target.info.protocols)
            return RefusedTurn(target, conversation, effort, notices, f"{target.ref} offers no WebRTC API ({offered} only); use --protocol {target.info.protocols[0]}", "webrtc")
        connection = self._connection_for(target, conversation, lambda: RealtimeCallConnection(target, self.network, self.client_for, self.ice_servers))
        return SocketTurn(connection, target, conversation, effort, notices, "webrtc", tools)

"""The one WebSocket owner for text turns and voice: open, read, write, keep alive, close.

`SocketOwner` moves frames and nothing else: what to send and what a frame
means live in the pure protocol objects under `rtchat/wire/`. It opens the
socket safely (timed, key only in a header, `ws://` only to this machine, no
redirect ever followed), runs the single reader task, and reports its state as
a `ConnectionState`. Close codes and refused upgrades become messages a person
can act on; a key never appears in anything it returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from rtchat.errors import ReportedFailure
from rtchat.events import Error

if TYPE_CHECKING:
    from rtchat.debuglog import WireLog

PING_INTERVAL = 20.0  # seconds between keepalive pings
PING_TIMEOUT = 20.0  # a pong later than this means the connection is dead
MAX_FRAME = 16 * 1024 * 1024
CLOSE_TIMEOUT = 2.0  # seconds a peer gets to answer our close frame: a turn that ended (a deadline, Ctrl-C) is never held longer by a peer that does not answer (websockets' default is 10 s)
TOO_LARGE = 1009
OURS_TOO_LARGE = "rtchat: frame over the size cap"  # the reason close_of gives a 1009 that rtchat sent

CLOSE_MEANINGS = {
    1000: "closed the session normally",
    1001: "is going away (restart or session time limit)",
    1002: "reported a protocol error",
    1003: "refused a message type",
    1006: "dropped the connection without a close frame",
    1007: "rejected a message as invalid",
    1008: "closed the session for a policy violation (often a bad key or an unknown model)",
    1009: "found a message too large",
    1011: "hit an internal error",
    1012: "is restarting",
    1013: "asks to try again later",
}
RETRYABLE_CLOSE = {1001, 1006, 1011, 1012, 1013}


class ConnectionState(StrEnum):
    """A connection owner's state; the values are the words the status line shows."""

    IDLE = "idle"
    CONNECTING = "connecting"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"
    FAILED = "failed"  # could not be set up (a WebRTC call whose ICE failed, say)


class SocketFailure(ReportedFailure):
    """A socket could not be opened or died; `error` is the message for the user."""


@dataclass(frozen=True)
class SocketAddress:
    """Where to connect and how to authenticate; `headers` may hold the key (never printed)."""

    url: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or self.url

    def __repr__(self) -> str:  # the headers carry the key
        return f"SocketAddress({self.url!r})"


class SessionProtocol(Protocol):
    """What the owner needs of a wire protocol object to set a session up."""

    @property
    def ready(self) -> bool: ...

    def begin(self) -> None: ...

    def receive_data(self, data: str | bytes) -> None: ...

    def events_received(self) -> list: ...

    def data_to_send(self) -> list[str]: ...

    def setup_failed(self) -> None: ...


def socket_url(base_url: str, path: str, query: str = "") -> str:
    """`https://host/v1` + `/realtime` -> `wss://host/v1/realtime?...` (http -> ws)."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + path, query, ""))


def describe_close(host: str, code: int | None, reason: str, during: str) -> Error:
    """A close frame (or its absence) as a clear message; `during` says what was going on."""
    code = 1006 if code is None else code
    meaning = CLOSE_MEANINGS.get(code, "closed the connection")
    detail = f": {reason}" if reason else ""
    if code == 1008:
        kind = "auth" if any(word in reason.lower() for word in ("key", "auth", "permission", "credential")) else "bad_request"
    elif code == 1000:
        kind = "closed"
    elif code == TOO_LARGE and reason == OURS_TOO_LARGE:
        return Error("protocol", f"{host} sent a frame too large to accept (over {MAX_FRAME // 2**20} MB), so rtchat closed the socket ({code}) {during}".strip())
    else:
        kind = "connection"
    return Error(kind, f"{host} {meaning} ({code}){detail} {during}".strip(), retryable=code in RETRYABLE_CLOSE or code == 1000)



def close_of(exc: ConnectionClosed) -> tuple[int | None, str]:
    """The close code and reason that explain a closed socket: ours when rtchat closed first."""
    sent, rcvd = exc.sent, exc.rcvd
    if sent is not None and sent.code == TOO_LARGE and (rcvd is None or not exc.rcvd_then_sent):
        return TOO_LARGE, OURS_TOO_LARGE
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


def redirect_refusal(host: str, base: str, location: str) -> Error:
    """A 3xx on the upgrade: never followed (a key header would go with it); say where it pointed."""
    where = urljoin(base, location) if location else "another address"
    if urlsplit(where).scheme in ("http", "https"):
        return Error("redirect", f"{host} redirected the WebSocket to {where}, which is not a WebSocket address (ws:// or wss://); rtchat does not follow redirects, so your key stays with {host}. Check the base_url")
    return Error("redirect", f"{host} redirected the WebSocket to {where}; rtchat does not follow redirects, so your key stays with {host}. Check the base_url")


class _NoRedirects(connect):
    """websockets' connect, except that a 3xx is raised as it came instead of followed."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


async def open_socket(address: SocketAddress, connect_timeout: float, *, local: bool) -> tuple[ClientConnection, float]:
    """Open the socket; returns it and the handshake time in ms (TCP + TLS + upgrade).

    Raises `InvalidStatus` for a refused upgrade other than a redirect (the caller
    words it per provider) and `SocketFailure` for everything else.
    """
    started = time.perf_counter()
    try:
        socket = await _NoRedirects(
            address.url,
            additional_headers=list(address.headers),
            open_timeout=connect_timeout,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
            max_size=MAX_FRAME,
            compression=None,  # per-message deflate costs latency on small frames
            proxy=None if local else True,
            user_agent_header="rtchat",
        )
    except InvalidStatus as exc:
        if 300 <= exc.response.status_code < 400:
            raise SocketFailure(redirect_refusal(address.host, address.url, exc.response.headers.get("Location", ""))) from None
        raise
    except (TimeoutError, asyncio.TimeoutError):
        raise SocketFailure(Error("connection", f"could not open a WebSocket to {address.host} within {connect_timeout:g} s", retryable=True)) from None
    except InvalidURI:
        raise SocketFailure(Error("config", f"{address.url.split('?')[0]} is not a valid WebSocket address")) from None
    except InvalidHandshake as exc:
        raise SocketFailure(Error("protocol", f"{address.host} did not complete the WebSocket handshake ({type(exc).__name__})", retryable=True)) from None
    except ConnectionClosed as exc:
        raise SocketFailure(describe_close(address.host, *close_of(exc), "during the handshake")) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if "CERTIFICATE" in str(exc).upper():
            raise SocketFailure(Error("tls", f"the TLS certificate of {address.host} could not be verified; rtchat always verifies TLS")) from None
        raise SocketFailure(Error("connection", f"could not connect to {address.host} ({reason}); check the network and the base URL", retryable=True)) from None
    return socket, (time.perf_counter() - started) * 1000


OnFrame = Callable[[str | bytes], None]
OnClosed = Callable[[int | None, str], None]
Refused = Callable[[int, bytes], Error]


def _refused_plainly(status: int, body: bytes) -> Error:
    return Error("connection", f"the WebSocket upgrade was refused ({status})")


class Watched:
    """A `ConnectionState` and the callbacks that want to hear of each change (the status line)."""

    def __init__(self) -> None:
        self.state = ConnectionState.IDLE
        self.listeners: list[Callable[[ConnectionState], None]] = []

    def set_state(self, state: ConnectionState) -> None:
        if state == self.state:
            return
        self.state = state
        for listener in list(self.listeners):
            try:
                listener(state)
            except Exception:  # a UI callback must not break the connection
                pass

    def add_listener(self, listener: Callable[[ConnectionState], None]) -> None:
        self.listeners.append(listener)


class SocketOwner(Watched):
    """One WebSocket at a time: `open()` it with a protocol's handshake, `send()`, `close()`.

    Every frame that arrives after the handshake goes to `on_frame`; a close the
    owner did not ask for goes to `on_closed` (code, reason); unless that reopened
    it, the state then goes IDLE (a normal close) or CLOSED. State changes go to
    the listeners.
    """

    def __init__(self, on_frame: OnFrame, on_closed: OnClosed, refused: Refused = _refused_plainly) -> None:
        self.on_frame = on_frame
        self.on_closed = on_closed
        self.refused = refused  # words a refused upgrade (401, 404...) for the provider at hand
        super().__init__()
        self.address: SocketAddress | None = None
        self.opened = 0  # sockets opened so far (the first handshake, then reconnects)
        self.last_frame_at = time.perf_counter()  # any frame is a sign of life (stall watchdogs read it)
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._closing = False
        self.wire_log: WireLog | None = None  # `--debug`: every frame both ways, redacted

    def _log_frame(self, direction: str, data: str | bytes) -> None:
        if self.wire_log is not None:
            self.wire_log.socket_frame(direction, data)

    @property
    def is_open(self) -> bool:
        return self._socket is not None and self._socket.state.name == "OPEN"

    # ---------------------------------------------------------------- opening

    async def open(self, address: SocketAddress, protocol: SessionProtocol, connect_timeout: float, *, local: bool) -> float:
        """Upgrade, then exchange the protocol's opening frames until it is ready; starts the reader.

        Returns the time in ms from the first byte to a ready session. Raises SocketFailure."""
        self.address = address
        if self.wire_log is not None:
            self.wire_log.socket_event(f"open {address.url} headers={self.wire_log.headers(address.headers)}")
        try:
            socket, connect_ms = await open_socket(address, connect_timeout, local=local)
        except InvalidStatus as exc:
            if self.wire_log is not None:
                self.wire_log.socket_event(f"upgrade refused {exc.response.status_code} headers={self.wire_log.headers(exc.response.headers)}")
                self.wire_log.socket_frame("received", bytes(exc.response.body or b"").decode("utf-8", "replace"))
            raise SocketFailure(self.refused(exc.response.status_code, bytes(exc.response.body or b""))) from None
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._handshake(socket, protocol), connect_timeout)
        except BaseException as exc:
            protocol.setup_failed()
            await socket.close()
            if isinstance(exc, ConnectionClosed):
                raise SocketFailure(describe_close(address.host, *close_of(exc), "right after the handshake")) from None
            if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
                raise SocketFailure(Error("timeout", f"{address.host} did not finish setting up the session within {connect_timeout:g} s", retryable=True)) from None
            raise
        self._socket = socket
        self.opened += 1
        self.last_frame_at = time.perf_counter()
        self._reader = asyncio.create_task(self._read(socket))
        self.set_state(ConnectionState.OPEN)
        return connect_ms + (time.perf_counter() - started) * 1000

    async def _handshake(self, socket: ClientConnection, protocol: SessionProtocol) -> None:
        protocol.begin()
        while True:
            for data in protocol.data_to_send():
                self._log_frame("sent", data)
                await socket.send(data)
            if protocol.ready:
                return
            data = await socket.recv()
            self._log_frame("received", data)
            protocol.receive_data(data)
            for event in protocol.events_received():
                if isinstance(event, Error):
                    raise SocketFailure(event)

    # ---------------------------------------------------------------- reading and writing

    async def _read(self, socket: ClientConnection) -> None:
        code: int | None = None
        reason = ""
        try:
            async for frame in socket:
                self.last_frame_at = time.perf_counter()
                self._log_frame("received", frame)
                self.on_frame(frame)
            code, reason = socket.close_code, socket.close_reason or ""
        except ConnectionClosed as exc:
            code, reason = close_of(exc)
        finally:
            if self.wire_log is not None:
                self.wire_log.socket_event(f"closed {code} {reason}".rstrip())
            if self._socket is socket:
                self._socket = None
            if not self._closing:
                self.on_closed(code, reason)  # may reopen (and say RECONNECTING) rather than stay closed
                if self.state is ConnectionState.OPEN:
                    self.set_state(ConnectionState.IDLE if code == 1000 else ConnectionState.CLOSED)

    async def send(self, data: str | bytes) -> None:
        socket = self._socket
        host = self.address.host if self.address else "the server"
        if socket is None:
            raise SocketFailure(Error("connection", f"the connection to {host} is closed", retryable=True))
        self._log_frame("sent", data)
        try:
            await socket.send(data)
        except ConnectionClosed as exc:
            raise SocketFailure(describe_close(host, *close_of(exc), "while sending")) from None

    async def flush(self, protocol: SessionProtocol) -> None:
        """Send whatever the protocol object has queued, in order."""
        for data in protocol.data_to_send():
            await self.send(data)

    # ---------------------------------------------------------------- closing

    async def close(self) -> bool:
        """Close on purpose: `on_closed` is not called; the state goes to IDLE. Whether a socket was open."""
        socket, self._socket = self._socket, None
        if socket is None:
            return False
        self._closing = True
        try:
            await socket.close()
            if self._reader is not None:
                await asyncio.gather(self._reader, return_exceptions=True)
        finally:
            self._closing = False
        self.set_state(ConnectionState.IDLE)
        return True


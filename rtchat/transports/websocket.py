"""WebSocket I/O for the live protocols: open a socket safely, and word its failures.

Everything protocol-specific lives in `rtchat/live/`; this module only knows
sockets: the handshake (timed, key only in a header, `ws://` only to this
machine), keepalive pings, and turning close codes and refused upgrades into
messages a person can act on. A key never appears in anything it returns.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from rtchat.errors import ReportedFailure
from rtchat.events import Error

PING_INTERVAL = 20.0  # seconds between keepalive pings
PING_TIMEOUT = 20.0  # a pong later than this means the connection is dead
MAX_FRAME = 16 * 1024 * 1024

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
    else:
        kind = "connection"
    return Error(kind, f"{host} {meaning} ({code}){detail} {during}".strip(), retryable=code in RETRYABLE_CLOSE or code == 1000)


def refused_upgrade(exc: InvalidStatus) -> tuple[int, bytes]:
    response = exc.response
    return response.status_code, bytes(response.body or b"")


async def open_socket(address: SocketAddress, connect_timeout: float, *, local: bool) -> tuple[ClientConnection, float]:
    """Open the socket; returns it and the handshake time in ms (TCP + TLS + upgrade).

    Raises `InvalidStatus` for a refused upgrade (the caller words it per provider)
    and `SocketFailure` for everything else.
    """
    started = time.perf_counter()
    try:
        socket = await connect(
            address.url,
            additional_headers=list(address.headers),
            open_timeout=connect_timeout,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            max_size=MAX_FRAME,
            compression=None,  # per-message deflate costs latency on small frames
            proxy=None if local else True,
            user_agent_header="rtchat",
        )
    except InvalidStatus:
        raise
    except (TimeoutError, asyncio.TimeoutError):
        raise SocketFailure(Error("connection", f"could not open a WebSocket to {address.host} within {connect_timeout:g} s", retryable=True)) from None
    except InvalidURI:
        raise SocketFailure(Error("config", f"{address.url.split('?')[0]} is not a valid WebSocket address")) from None
    except InvalidHandshake as exc:
        raise SocketFailure(Error("protocol", f"{address.host} did not complete the WebSocket handshake ({type(exc).__name__})", retryable=True)) from None
    except ConnectionClosed as exc:
        raise SocketFailure(describe_close(address.host, exc.rcvd.code if exc.rcvd else None, exc.rcvd.reason if exc.rcvd else "", "during the handshake")) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if "CERTIFICATE" in str(exc).upper():
            raise SocketFailure(Error("tls", f"the TLS certificate of {address.host} could not be verified; rtchat always verifies TLS")) from None
        raise SocketFailure(Error("connection", f"could not connect to {address.host} ({reason}); check the network and the base URL", retryable=True)) from None
    return socket, (time.perf_counter() - started) * 1000


def close_of(exc: ConnectionClosed) -> tuple[int | None, str]:
    frame = exc.rcvd
    return (frame.code, frame.reason) if frame is not None else (None, "")

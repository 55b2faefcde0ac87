"""What the loopback remembers about each request and each persistent socket.

Tests and benchmarks read these to see what really crossed the wire (times are
time.monotonic()); kept apart from server.py so the socket modules can use them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from .frames import FrameLog

AUTH_HEADERS = ("Authorization", "api-key", "x-api-key", "x-goog-api-key")


SECRET_QUERY = ("key", "api-key", "api_key")


def fingerprint(secret: str) -> str:
    """A key as the records keep it: never the key itself, but enough to tell which one arrived."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def credentials(headers: Any) -> dict[str, str]:
    """Which credential headers a request carried, each value fingerprinted (tests assert which scheme
    and which key arrived; the loopback keeps no key, whatever a client sends it)."""
    found = {}
    for name in AUTH_HEADERS:
        if name in headers:
            scheme, _, value = headers[name].rpartition(" ")
            found[name.lower()] = f"{scheme} {fingerprint(value)}".lstrip()
    return found


def safe_query(query: Any) -> dict[str, str]:
    """The query string with any key in it fingerprinted (Gemini's `?key=`)."""
    return {name: fingerprint(value) if name in SECRET_QUERY else value for name, value in dict(query).items()}


@dataclasses.dataclass
class RequestRecord:
    """What happened to one model request; benchmarks read these (times are time.monotonic())."""

    path: str
    wire: str
    model: str = ""
    status: int = 0
    tokens_sent: int = 0
    outcome: str = "streaming"  # then "complete" | "disconnected" | "fault" | "error"
    started: float | None = None
    first_byte: float | None = None
    ended: float | None = None
    request_json: dict[str, Any] = dataclasses.field(default_factory=dict)
    cancel_received: float | None = None  # WebSocket: when response.cancel (or an interrupt) arrived
    connection: int | None = None  # WebSocket: index into LoopbackState.connections
    auth: dict[str, str] = dataclasses.field(default_factory=dict)  # the credential headers that arrived (Authorization, api-key...)
    query: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ConnectionRecord:
    """One persistent socket: how many turns it carried and how it ended."""

    path: str
    wire: str
    model: str = ""
    opened: float | None = None
    closed: float | None = None
    close_code: int | None = None
    responses: int = 0
    setup: dict[str, Any] = dataclasses.field(default_factory=dict)  # Gemini Live: the setup message
    auth: dict[str, str] = dataclasses.field(default_factory=dict)  # the credential headers of the upgrade
    query: dict[str, str] = dataclasses.field(default_factory=dict)
    dialect: str = ""  # Realtime: "ga" or "beta"
    received: list[str] = dataclasses.field(default_factory=list)  # Realtime: client event types in order (audio appends left out)
    tool_frames: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # Realtime/Live: client frames that offer tools or answer calls, whole
    truncated_ms: list[int] = dataclasses.field(default_factory=list)  # Realtime: each conversation.item.truncate's audio_end_ms
    files: list[tuple[str, int]] = dataclasses.field(default_factory=list)  # (media type, bytes) of each image a turn carried
    frames: FrameLog = dataclasses.field(default_factory=FrameLog)  # shared frames: Live realtime video, Realtime input_image parts

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

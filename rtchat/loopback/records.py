"""What the loopback remembers about each request and each persistent socket.

Tests and benchmarks read these to see what really crossed the wire (times are
time.monotonic()); kept apart from server.py so the socket modules can use them.
"""

from __future__ import annotations

import dataclasses
from typing import Any


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

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

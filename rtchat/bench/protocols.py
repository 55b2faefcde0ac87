"""Which protocols the bench can drive, and why one cannot run in this checkout.

A small registry: SSE, WebSocket and WebRTC all open their turns through
`Session.turn(..., protocol=...)` (WebRTC's set-up is ICE+DTLS up to the data
channel opening). Support is read from the signature at run time, not assumed,
and a protocol that is missing (an older checkout, a model the catalog says does
not offer it) is reported as "not available" with the reason instead of failing
the whole bench.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OpenTurn = Callable[[Any, Any, Any], Any]  # (session, target, conversation) -> Turn


def turn_accepts_protocol(session_type: type) -> bool:
    """Whether `session_type.turn` takes a `protocol` argument (added with the WebSocket transport)."""
    try:
        parameters = inspect.signature(session_type.turn).parameters
    except (TypeError, ValueError):
        return False
    return "protocol" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


@dataclass(frozen=True)
class ProtocolRunner:
    """How the bench opens a turn over one protocol, and what its set-up time means."""

    name: str
    setup: str  # what "connection set-up" measures on this protocol

    def unavailable_reason(self, session: Any, target: Any) -> str | None:
        offered = tuple(getattr(target.info, "protocols", ("sse",)))
        if self.name not in offered:
            return f"{target.ref} offers {', '.join(offered) or 'no protocol'} only (catalog)"
        if self.name != "sse" and not turn_accepts_protocol(type(session)):
            return "Session.turn has no `protocol` parameter in this checkout yet"
        return None

    def open_turn(self, session: Any, target: Any, conversation: Any) -> Any:
        """A turn over this protocol; NotImplementedError if the session quietly gave another one."""
        if not turn_accepts_protocol(type(session)):
            return session.turn(target, conversation)  # SSE is the only transport before `protocol` exists
        turn = session.turn(target, conversation, protocol=self.name)
        actual = getattr(turn, "protocol", "sse")  # the SSE Turn predates the attribute
        if actual != self.name:
            raise NotImplementedError(f"Session.turn(protocol={self.name!r}) returns a {actual} turn in this checkout")
        return turn


RUNNERS: dict[str, ProtocolRunner] = {}


def register(runner: ProtocolRunner) -> ProtocolRunner:
    """Add or replace a runner (a transport with its own entry point can register here)."""
    RUNNERS[runner.name] = runner
    return runner


register(ProtocolRunner("sse", "TCP+TLS connect"))
register(ProtocolRunner("websocket", "WebSocket handshake"))
register(ProtocolRunner("webrtc", "ICE+DTLS"))


def runner_for(name: str) -> ProtocolRunner | None:
    return RUNNERS.get(name)


def looks_unimplemented(message: str, kind: str = "") -> bool:
    """An error that means "this transport is not written yet", not "the measurement failed"."""
    return "NotImplementedError" in message or kind in ("not_implemented", "unsupported", "unavailable")

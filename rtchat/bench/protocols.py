"""Which protocols the bench can drive, and why one cannot run for a model.

A small registry: SSE, WebSocket and WebRTC all open their turns through
`Session.turn(..., protocol=...)` (WebRTC's set-up is ICE+DTLS up to the data
channel opening). A protocol the model does not offer (the catalog says so) is
reported as "not available" with the reason instead of failing the whole bench.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtchat.conversation import Conversation
from rtchat.session import Session
from rtchat.target import Target
from rtchat.turns.base import Turn


@dataclass(frozen=True)
class ProtocolRunner:
    """How the bench opens a turn over one protocol, and what its set-up time means."""

    name: str
    setup: str  # what "connection set-up" measures on this protocol

    def unavailable_reason(self, target: Target) -> str | None:
        offered = target.info.protocols
        if self.name not in offered:
            names = ", ".join(PROTOCOL_NAMES.get(p, p) for p in offered) or "no protocol"
            return f"{target.ref} offers {names} only (catalog)"
        return None

    def setup_for(self, target: Target) -> str:
        """What set-up measures here: plain http (the loopback) has no TLS to count."""
        if target.base_url.startswith("http://"):
            return self.setup.replace("+TLS", "")
        return self.setup

    def open_turn(self, session: Session, target: Target, conversation: Conversation) -> Turn:
        return session.turn(target, conversation, protocol=self.name)


PROTOCOL_NAMES = {"sse": "SSE", "websocket": "WebSocket", "webrtc": "WebRTC"}
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



"""The two Realtime transports side by side, for tests that hold both to the same promise:
a WebSocket (one socket per conversation) and WebRTC (one call per conversation, the events
on its data channel). What differs between them is said here, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rtchat.conversation import Conversation
from rtchat.session import Session
from tests.support import webrtc, ws
from tests.support.turns import run_turn


@dataclass(frozen=True)
class Transport:
    protocol: str  # what `--protocol` and `Session.turn` call it
    make_session: Callable[..., Session]
    dropped: str  # how a connection closed by the server mid-answer is explained
    hangs_up_at_once: bool  # the server sees the hang-up by the time `aclose()` returns

    async def ask(self, session: Session, target, conversation: Conversation, prompt: str, *, cancel_after: int | None = None):
        """One turn over this transport; returns (events, turn). `cancel_after` text deltas, then cancel()."""
        return await run_turn(session, target, conversation, prompt, protocol=self.protocol, cancel_after=cancel_after)

    def places(self, server) -> list:
        """What the loopback saw placed over this transport: its sockets, or its WebRTC calls."""
        return webrtc.calls(server) if self.protocol == "webrtc" else list(server.connections)


TRANSPORTS = {
    "websocket": Transport("websocket", ws.make_session, dropped="1011", hangs_up_at_once=True),
    "webrtc": Transport("webrtc", webrtc.make_session, dropped="closed by the other end mid-answer", hangs_up_at_once=False),
}

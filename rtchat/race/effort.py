"""One effort for every lane, so a race compares the same work.

A lane that thinks writes its reasoning before the answer: against a lane that
cannot think (a Realtime session over WebSocket or WebRTC), "first to finish"
would only say which one skipped the thinking. So when the lanes differ in
whether they can think, every lane is sent effort off, and the race says why.
"""

from __future__ import annotations

from collections.abc import Sequence

from rtchat.live.pool import socket_wire_for
from rtchat.target import Target

THINKING_SOCKETS = ("openai_responses_ws",)  # the socket wires that carry reasoning (Realtime and Live do not)


def can_think(target: Target, protocol: str) -> bool:
    """Whether this model thinks when asked over this protocol."""
    if target.info.thinking is False:
        return False
    return protocol == "sse" or socket_wire_for(target, protocol) in THINKING_SOCKETS


def equal_effort(requested: str | None, lanes: Sequence[tuple[Target, str]]) -> tuple[str | None, str | None]:
    """The effort to send every lane, and a note when it is not the one asked for."""
    thinking = {can_think(target, protocol) for target, protocol in lanes}
    if len(thinking) < 2 or requested == "off":
        return requested, None
    cannot = sorted({protocol for target, protocol in lanes if not can_think(target, protocol)})
    return "off", f"effort off on every lane, for the same work: {' and '.join(cannot)} cannot think here"

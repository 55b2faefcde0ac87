"""Turns: one request and its streamed answer, over any transport.

`base.Turn` is the interface the app, `ask` and the bench use; `sse.HttpTurn`,
`socket.SocketTurn` (WebSocket and WebRTC data channel) and `spoken.SpokenTurn`
(one exchange of a voice session) implement it on one shared queue (`QueuedTurn`).
"""

from rtchat.turns.base import QueuedTurn, Turn, TurnPhase

__all__ = ["QueuedTurn", "Turn", "TurnPhase"]

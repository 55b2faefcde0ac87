"""Live sessions over one persistent socket per conversation (WebSocket protocols).

`LivePool` hands out the connection of a (conversation, model) pair and makes
the turns that run on it; see connection.py for the shared machinery and one
module per protocol for the rest.
"""

from rtchat.live.pool import LivePool, ws_wire_for

__all__ = ["LivePool", "ws_wire_for"]

"""OpenAI Realtime over WebSocket, text mode: items in, `response.create`, `response.cancel`."""

from __future__ import annotations

from urllib.parse import quote

from rtchat.live.connection import LiveConnection
from rtchat.transports.websocket import SocketAddress, socket_url
from rtchat.wire.openai_realtime import RealtimeProtocol


class RealtimeConnection(LiveConnection):
    """`wss://.../v1/realtime?model=M`; the conversation lives on the server as items."""

    wire = "openai_realtime"

    def make_protocol(self) -> RealtimeProtocol:
        return RealtimeProtocol(["text"])

    def address(self) -> SocketAddress:
        headers = (("Authorization", f"Bearer {self.target.key}"),) if self.target.key else ()
        return SocketAddress(socket_url(self.target.base_url, "/realtime", f"model={quote(self.target.model)}"), headers)

"""The article's DeepSeek V4 WebSocket (`{base}/v4/chat`): one `chat` frame per turn, `token` frames back.

The socket has no cancel message, so an interrupt closes it (the server stops
when the client leaves) and the next turn opens a fresh one; each turn sends the
whole conversation, so nothing is lost by reconnecting.
"""

from __future__ import annotations

from rtchat.live.connection import LiveConnection
from rtchat.target import auth_headers
from rtchat.transports.websocket import SocketAddress, socket_url
from rtchat.wire.deepseek_socket import PATH, DeepSeekSocketProtocol


class DeepSeekSocketConnection(LiveConnection):
    wire = "deepseek_socket"
    cancels_in_band = False

    def make_protocol(self) -> DeepSeekSocketProtocol:
        return DeepSeekSocketProtocol(self.target.model)

    def address(self) -> SocketAddress:
        return SocketAddress(socket_url(self.target.base_url, PATH), tuple(auth_headers(self.target).items()))

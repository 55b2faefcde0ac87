"""OpenAI Responses API in WebSocket mode: `response.create` on a kept-open `/v1/responses` socket.

Each turn sends the whole conversation (as the POST body would, `store` left to
the account default), so nothing depends on server-side state and a fresh
socket needs no rebuilding. The protocol has no cancel message and runs one
response at a time per socket, so an interrupt closes the socket (the server
stops generating when the client leaves) and the next turn opens a new one.
"""

from __future__ import annotations

from rtchat.conversation import Conversation, ToolResult
from rtchat.live.connection import LiveConnection
from rtchat.target import auth_headers
from rtchat.turns.socket import SocketTurn
from rtchat.transports.websocket import SocketAddress, socket_url
from rtchat.wire.base import RequestOptions
from rtchat.wire.openai_responses import ResponsesSocketProtocol


class ResponsesSocketConnection(LiveConnection):
    wire = "openai_responses_ws"
    cancels_in_band = False

    def make_protocol(self) -> ResponsesSocketProtocol:
        return ResponsesSocketProtocol(self.target.model, self.refused)

    def address(self) -> SocketAddress:
        headers = tuple(auth_headers(self.target).items())
        return SocketAddress(socket_url(self.target.base_url, "/responses"), headers)

    def options(self, turn: SocketTurn) -> RequestOptions:
        return RequestOptions(effort=turn.effort, provider_id=self.target.provider.id, effort_style=self.target.provider.effort_style, tools=turn.offered)

    def queue_turn(self, turn: SocketTurn) -> None:
        self.protocol.send_turn(turn.conversation, self.options(turn))

    def queue_tool_results(self, turn: SocketTurn, results: list[ToolResult]) -> bool:
        """As over SSE: the next `response.create` carries the answer so far (its calls as
        received, then their outputs), built by the same protocol object."""
        step = Conversation([*turn.conversation.messages, turn.received_answer().message()], turn.conversation.system)
        self.protocol.send_turn(step, self.options(turn))
        return True

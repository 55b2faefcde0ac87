"""OpenAI Realtime over WebSocket, text mode: items in, `response.create`, `response.cancel`."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from rtchat.attachments import socket_problem
from rtchat.config_rules import McpServer
from rtchat.conversation import ToolResult
from rtchat.events import Error, ErrorKind, Notice, ToolCallRequest
from rtchat.live.connection import LiveConnection
from rtchat.target import Target, auth_headers
from rtchat.transports.websocket import SocketAddress, socket_url
from rtchat.wire import azure
from rtchat.wire.openai_realtime import BETA, RealtimeProtocol

if TYPE_CHECKING:
    from rtchat.turns.socket import SocketTurn


def realtime_address(target: Target) -> SocketAddress:
    """OpenAI: `wss://.../v1/realtime?model=M` with a Bearer key; Azure: `/openai/realtime?api-version=V&deployment=D` with `api-key`."""
    provider = target.provider
    headers = tuple(auth_headers(target).items())
    if provider.wire == "azure_chat":
        return SocketAddress(socket_url(target.base_url, azure.REALTIME_PATH, azure.realtime_query(target.model, provider.api_version)), headers)
    return SocketAddress(socket_url(target.base_url, "/realtime", f"model={quote(target.model)}"), headers)


class RealtimeConnection(LiveConnection):
    """The conversation lives on the server as items; the dialect (GA or beta) follows the server."""

    wire = "openai_realtime"
    beta_remote_told = False  # the one notice that a beta session runs remote MCP servers locally

    def make_protocol(self) -> RealtimeProtocol:
        return RealtimeProtocol(["text"], self.target.realtime_dialect)

    def address(self) -> SocketAddress:
        return realtime_address(self.target)

    def queue_turn(self, turn: SocketTurn) -> None:
        self.protocol.send_turn(turn.conversation, turn.offered, turn.remote)  # tools in a session.update when they changed

    def host_remote_mcp(self, servers: tuple[McpServer, ...]) -> tuple[McpServer, ...]:
        """GA declares remote MCP servers; beta cannot: they run locally, said once per connection.
        A server not yet heard from is taken for GA (OpenAI's default); a beta one then leaves
        them out of that turn with a notice (`RealtimeProtocol.send_turn`) and runs them locally after."""
        if not servers or self.protocol.announced_dialect != BETA:
            return servers
        if not (self.beta_remote_told or self.protocol.remote_refused):
            self.beta_remote_told = True
            names = ", ".join(f"'{server.name}'" for server in servers)
            self.unheard.append(Notice(f"remote mcp {names}: this server speaks the Realtime beta dialect, which cannot reach MCP servers; rtchat runs them locally", "warning"))
        return ()

    def take_approvals(self) -> list[ToolCallRequest]:
        return self.protocol.take_approvals()

    def queue_tool_results(self, turn: SocketTurn, results: list[ToolResult]) -> bool:
        """The outputs, and the answers to approval requests of the same response, before one `response.create`."""
        return self.protocol.send_tool_results(results, turn.approval_answers)

    def turn_problem(self, turn: SocketTurn) -> Error | None:
        """A beta server has no field for image bytes: refuse its images (only now is its dialect known)."""
        for message in self.protocol.context.unsent(turn.conversation.messages):
            for attachment in message.attachments:
                problem = socket_problem(attachment, self.wire, self.protocol.dialect)
                if problem:
                    return Error(ErrorKind.UNAVAILABLE, problem)
        return None

"""Which socket a turn runs on: one live connection per conversation and model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.live.connection import LiveConnection
from rtchat.target import Target, is_local
from rtchat.turns.refused import RefusedTurn
from rtchat.turns.socket import SocketTurn
from rtchat.turns.tool_steps import ToolRunner
from rtchat.wire.deepseek_socket import NO_TOOLS

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.debuglog import WireLog


def ws_wire_for(target: Target) -> str | None:
    """The WebSocket wire a model speaks, or None when it offers no WebSocket."""
    wire = target.info.ws_wire or target.provider.ws_wire
    if wire is None and target.provider.wire == "gemini" and is_local(target.base_url):
        return "gemini_live"  # the loopback speaks Live for every model
    return wire


def socket_wire_for(target: Target, protocol: str) -> str | None:
    """The wire a WebSocket or WebRTC turn of this model speaks (a WebRTC call is always Realtime)."""
    return "openai_realtime" if protocol == "webrtc" else ws_wire_for(target)


def connection_class(wire: str) -> type[LiveConnection]:
    if wire == "openai_realtime":
        from rtchat.live.realtime import RealtimeConnection  # deferred: the wire formats load with the first socket, after the app's first frame

        return RealtimeConnection
    if wire == "gemini_live":
        from rtchat.live.gemini import GeminiLiveConnection  # deferred: the wire formats load with the first socket, after the app's first frame

        return GeminiLiveConnection
    if wire == "openai_responses_ws":
        from rtchat.live.responses import ResponsesSocketConnection  # deferred: the wire formats load with the first socket, after the app's first frame

        return ResponsesSocketConnection
    if wire == "deepseek_socket":
        from rtchat.live.deepseek import DeepSeekSocketConnection  # deferred: the wire formats load with the first socket, after the app's first frame

        return DeepSeekSocketConnection
    raise KeyError(wire)


MAX_OPEN = 4  # connections kept for conversations not in use; older ones are closed (they reopen on demand)


class LivePool:
    """Keeps one open connection per conversation (by identity) and model; closes the rest.

    Only the most recently used few stay open: a user who switches among many
    conversations must not collect sockets (and the conversations they pin).
    Going back to a closed one costs a handshake and a context rebuild.
    """

    def __init__(self, network: NetworkSettings, wire_log: WireLog | None = None) -> None:
        self.network = network
        self.wire_log = wire_log  # `--debug`: each new connection logs its frames here
        self._entries: dict[tuple[int, str], tuple[Conversation, LiveConnection]] = {}

    def connection(self, target: Target, conversation: Conversation) -> LiveConnection | None:
        """The connection a turn of this conversation would use (the status line reads `.state`)."""
        entry = self._entries.get((id(conversation), target.ref))
        return entry[1] if entry and entry[0] is conversation else None

    def turn(self, target: Target, conversation: Conversation, effort: str | None, notices: list[Notice], tools: ToolRunner | None = None) -> SocketTurn:
        wire = ws_wire_for(target)
        if wire is None:
            return RefusedTurn(target, conversation, effort, notices, f"{target.ref} offers no WebSocket API; use --protocol sse", "websocket")
        if wire == "deepseek_socket" and tools is not None:
            return RefusedTurn(target, conversation, effort, notices, NO_TOOLS, "websocket")  # refused before any tool server starts
        connection = self._connection_for(target, conversation, lambda: connection_class(wire)(target, self.network))
        return SocketTurn(connection, target, conversation, effort, notices, tools=tools)

    async def open(self, target: Target, conversation: Conversation) -> LiveConnection | None:
        """The conversation's socket, opened before any turn (a shared screen streams into it
        from `/share` on); None when the model offers no WebSocket. Raises SocketFailure."""
        wire = ws_wire_for(target)
        if wire is None:
            return None
        connection = self._connection_for(target, conversation, lambda: connection_class(wire)(target, self.network))
        await connection.ensure_open()
        return connection

    def _connection_for(self, target: Target, conversation: Conversation, make: Callable[[], LiveConnection]) -> LiveConnection:
        """This conversation's connection for this model, made (and the model's old one closed) when needed."""
        key = (id(conversation), target.ref)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not conversation or entry[1].target != target:
            if entry is not None:
                entry[1].spawn(entry[1].aclose())
            self._close_others(conversation, keep=key)
            entry = (conversation, make())
            entry[1].log_wire(self.wire_log)
        self._entries.pop(key, None)
        self._entries[key] = entry  # most recently used last
        self._close_least_recently_used()
        return entry[1]

    def _close_least_recently_used(self) -> None:
        for key, (_, connection) in list(self._entries.items())[: max(0, len(self._entries) - MAX_OPEN)]:
            if connection.current is None:  # never one with an answer still streaming
                del self._entries[key]
                connection.spawn(connection.aclose())

    def _close_others(self, conversation: Conversation, keep: tuple[int, str]) -> None:
        """The model changed: the old model's socket is no longer needed."""
        for key, (owner, connection) in list(self._entries.items()):
            if owner is conversation and key != keep:
                del self._entries[key]
                connection.spawn(connection.aclose())

    async def aclose(self) -> None:
        entries, self._entries = list(self._entries.values()), {}
        for _, connection in entries:
            await connection.aclose()

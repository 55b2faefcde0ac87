"""OpenAI Realtime over WebSocket, text mode: items in, `response.create`, `response.cancel`."""

from __future__ import annotations

from urllib.parse import quote

from websockets.asyncio.client import ClientConnection

from rtchat.conversation import ChatMessage
from rtchat.events import Done, Error, Event
from rtchat.live.connection import LiveConnection
from rtchat.turns.socket import SocketTurn
from rtchat.transports.websocket import SocketAddress, SocketFailure, socket_url
from rtchat.wire import openai_realtime as wire


class RealtimeConnection(LiveConnection):
    """`wss://.../v1/realtime?model=M`; the conversation lives on the server as items."""

    wire = "openai_realtime"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.decoder = wire.RealtimeDecoder()

    def address(self) -> SocketAddress:
        headers = (("Authorization", f"Bearer {self.target.key}"),) if self.target.key else ()
        return SocketAddress(socket_url(self.target.base_url, "/realtime", f"model={quote(self.target.model)}"), headers)

    async def handshake(self, socket: ClientConnection) -> None:
        """Wait for `session.created`, then ask for text answers (and the system prompt)."""
        self.decoder = wire.RealtimeDecoder()
        while not self.decoder.session_ready:
            for event in self.decoder.feed_text(await socket.recv()):
                if isinstance(event, Error):
                    raise SocketFailure(event)
        update = wire.session_update(["text"])
        await socket.send(_dump(update))

    def decode(self, frame: str | bytes) -> list[Event]:
        events = self.decoder.feed_text(frame)
        if any(isinstance(e, Error) for e in events) and not self.decoder.response_active and not any(isinstance(e, Done) for e in events):
            turn = self.current
            if turn is not None and turn.sent and not turn.content_sent:
                events.append(Done("error"))  # the request itself was refused: no answer will come
        return events

    async def send_turn(self, turn: SocketTurn, unsent: list[ChatMessage]) -> None:
        system = turn.conversation.system
        if system and not self.known:
            await self.send_json({"type": "session.update", "session": {"type": "realtime", "instructions": system}})
        for message in unsent:
            await self.send_json(wire.item_create(message))
        await self.send_json(wire.response_create())

    async def send_cancel(self) -> None:
        await self.send_json(wire.response_cancel())


def _dump(payload: dict) -> str:
    import json

    return json.dumps(payload, separators=(",", ":"))

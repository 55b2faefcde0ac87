"""Gemini Live (BidiGenerateContent) in text mode: `setup`, `clientContent` turns, resumption.

Live has no cancel message. rtchat sets up the session with manual activity
detection, so an interrupt is `activityStart` (the default activity handling,
START_OF_ACTIVITY_INTERRUPTS, cuts the answer off and the server says
`interrupted`) followed by an empty `activityEnd`. A `goAway` or a dropped
socket is resumed with the latest `sessionResumptionUpdate` handle, so the
server keeps the context and nothing is sent twice.
"""

from __future__ import annotations

import json

from websockets.asyncio.client import ClientConnection

from rtchat.conversation import ChatMessage
from rtchat.events import Event
from rtchat.live.connection import Known, LiveConnection
from rtchat.turns.socket import SocketTurn
from rtchat.transports.websocket import SocketAddress, socket_url
from rtchat.wire import gemini_live as wire


class GeminiLiveConnection(LiveConnection):
    wire = "gemini_live"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.decoder = wire.LiveDecoder()
        self.handle: str | None = None  # the latest resumption handle
        self.handle_known: list[Known] = []  # what the server held when it gave that handle
        self.resuming_with: str | None = None
        self.going_away = False

    def address(self) -> SocketAddress:
        headers = (("x-goog-api-key", self.target.key),) if self.target.key else ()
        return SocketAddress(socket_url(self.target.base_url, wire.PATH), headers)

    async def handshake(self, socket: ClientConnection) -> None:
        """Send `setup` (with the resumption handle, if any) and wait for `setupComplete`."""
        handle = self.handle
        self.decoder = wire.LiveDecoder()
        self.decoder.resumption_handle = handle
        self.resuming_with = handle
        self.going_away = False
        setup = wire.setup(self.target.model, ["TEXT"], self.system, resumption_handle=handle, manual_activity=True)
        await socket.send(json.dumps(setup))
        try:
            while not self.decoder.setup_complete:
                self.decoder.feed_text(await socket.recv())
        except Exception:
            if handle:
                self.handle = None  # a stale handle must not block the next try: start a fresh session
            raise

    def resumed_known(self) -> list[Known] | None:
        return list(self.handle_known) if self.resuming_with else None

    def decode(self, frame: str | bytes) -> list[Event]:
        before = self.decoder.resumption_handle
        events = self.decoder.feed_text(frame)
        if self.decoder.go_away_in is not None:
            self.going_away = True
        handle = self.decoder.resumption_handle
        if handle and handle != before:
            self.handle = handle
            self.handle_known = list(self.known)
        return events

    def on_closed(self, code: int | None, reason: str) -> None:
        if self.going_away and self.current is None:
            self.set_state("reconnecting")  # goAway: resume at once with the handle, quietly
            self.spawn(self._resume())
            return
        super().on_closed(code, reason)

    async def _resume(self) -> None:
        try:
            await self.ensure_open()
        except Exception:
            self.set_state("closed")

    async def send_turn(self, turn: SocketTurn, unsent: list[ChatMessage]) -> None:
        *earlier, latest = unsent
        if earlier:
            await self.send_json(wire.client_content(earlier, turn_complete=False))
        await self.send_json(wire.client_content([latest], turn_complete=True))

    async def send_cancel(self) -> None:
        await self.send_json(wire.activity_start())
        await self.send_json(wire.activity_end())

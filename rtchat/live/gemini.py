"""Gemini Live (BidiGenerateContent) in text mode: `setup`, `clientContent` turns, resumption.

Live has no cancel message. rtchat sets up the session with manual activity
detection, so an interrupt is `activityStart` (the default activity handling,
START_OF_ACTIVITY_INTERRUPTS, cuts the answer off and the server says
`interrupted`) followed by an empty `activityEnd`. After a `goAway` the socket
is reopened at once and the session resumed with the latest handle
(`LiveProtocol`), so the server keeps the context and nothing is sent twice.
"""

from __future__ import annotations

from rtchat.live.connection import LiveConnection
from rtchat.target import auth_headers
from rtchat.transports.websocket import ConnectionState, SocketAddress, socket_url
from rtchat.wire import gemini_live as wire


class GeminiLiveConnection(LiveConnection):
    wire = "gemini_live"

    def make_protocol(self) -> wire.LiveProtocol:
        return wire.LiveProtocol(self.target.model, ["TEXT"], manual_activity=True)

    def address(self) -> SocketAddress:
        headers = tuple(auth_headers(self.target).items())
        return SocketAddress(socket_url(self.target.base_url, wire.PATH), headers)

    async def _open_once(self) -> float:
        self.protocol.system = self.system  # Live fixes instructions at setup
        return await super()._open_once()

    def on_closed(self, code: int | None, reason: str) -> None:
        if self.protocol.going_away and self.current is None:
            self.set_state(ConnectionState.RECONNECTING)  # goAway: resume at once with the handle, quietly
            self.spawn(self._resume())
            return
        super().on_closed(code, reason)

    async def _resume(self) -> None:
        try:
            await self.ensure_open()
        except Exception:
            self.set_state(ConnectionState.CLOSED)

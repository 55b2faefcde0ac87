"""OpenAI Responses API in WebSocket mode: `response.create` on a kept-open `/v1/responses` socket.

Each turn sends the whole conversation (as the POST body would, `store` left to
the account default), so nothing depends on server-side state and a fresh
socket needs no rebuilding. The protocol has no cancel message and runs one
response at a time per socket, so an interrupt closes the socket (the server
stops generating when the client leaves) and the next turn opens a new one.
"""

from __future__ import annotations

import json

from rtchat.conversation import ChatMessage
from rtchat.events import Done, Event, Notice
from rtchat.live.connection import LiveConnection
from rtchat.turns.socket import SocketTurn
from rtchat.transports.websocket import SocketAddress, socket_url
from rtchat.wire.base import RequestOptions, preview
from rtchat.wire.openai_responses import ResponsesDecoder, response_body

TRANSPORT_ONLY = ("stream", "background")


class ResponsesSocketConnection(LiveConnection):
    wire = "openai_responses_ws"
    cancels_in_band = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.decoder = ResponsesDecoder()

    def address(self) -> SocketAddress:
        headers = (("Authorization", f"Bearer {self.target.key}"),) if self.target.key else ()
        return SocketAddress(socket_url(self.target.base_url, "/responses"), headers)

    def decode(self, frame: str | bytes) -> list[Event]:
        try:
            payload = json.loads(frame)
        except (ValueError, RecursionError):
            return [Notice(f"skipped a malformed frame: {preview(str(frame)[:200])}", "warning")]
        if not isinstance(payload, dict):
            return []
        if payload.get("type") == "error" and isinstance(payload.get("status"), int):
            return self.refused_in_band(payload["status"], payload.get("error"))
        return self.decoder.decode_payload(payload)

    def refused_in_band(self, status: int, error: object) -> list[Event]:
        """WebSocket mode reports what HTTP would refuse (bad key, unknown model, rate limit)
        as an `error` event with the HTTP status: word it exactly as the SSE path does."""
        body = json.dumps({"error": error if isinstance(error, dict) else {}}).encode()
        return [self.refused(status, body), Done("error")]

    def turn_ended(self, turn: SocketTurn, reason: str) -> None:
        """The server keeps no conversation here, so an edited history needs no fresh socket."""
        super().turn_ended(turn, reason)
        self.known = []

    async def send_turn(self, turn: SocketTurn, unsent: list[ChatMessage]) -> None:
        self.decoder = ResponsesDecoder()
        options = RequestOptions(effort=turn.effort, provider_id=self.target.provider.id, effort_style=self.target.provider.effort_style)
        body = {k: v for k, v in response_body(self.target.model, turn.conversation, options).items() if k not in TRANSPORT_ONLY}
        await self.send_json({"type": "response.create", **body})

"""Gemini Live (BidiGenerateContent) in text mode: `setup`, `clientContent` turns, resumption.

Live has no cancel message. rtchat sets up the session with manual activity
detection, so an interrupt is `activityStart` (the default activity handling,
START_OF_ACTIVITY_INTERRUPTS, cuts the answer off and the server says
`interrupted`) followed by an empty `activityEnd`. When the server says it is going away, the socket
is reopened and the session resumed with the latest handle (`LiveProtocol`), so
the server keeps the context and nothing is sent twice. Resumes in a row back off
and stop after a few (`ResumeBackoff`): a server that closes every session it
sets up must not get a new socket, key included, many times a second.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from rtchat.events import Event, Notice
from rtchat.live.connection import LiveConnection
from rtchat.retry import ResumeBackoff
from rtchat.target import Target, auth_headers
from rtchat.transports.websocket import ConnectionState, SocketAddress, SocketFailure, socket_url
from rtchat.wire import gemini_live as wire

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.turns.socket import SocketTurn


class GeminiLiveConnection(LiveConnection):
    wire = "gemini_live"
    resumed = 0  # sessions resumed on a new socket so far

    def __init__(self, target: Target, network: NetworkSettings) -> None:
        super().__init__(target, network)
        self.resume_backoff = ResumeBackoff()
        self.opened_at = time.perf_counter()
        self.gave_up: Notice | None = None  # said once, to the next turn
        self.resuming = False  # the socket being opened resumes a session the server sent away

    def make_protocol(self) -> wire.LiveProtocol:
        return wire.LiveProtocol(self.target.model, ["TEXT"], manual_activity=True)

    def address(self) -> SocketAddress:
        headers = tuple(auth_headers(self.target).items())
        return SocketAddress(socket_url(self.target.base_url, wire.PATH), headers)

    def received(self, events: list[Event]) -> list[Event]:
        """A `toolCallCancellation` for a call the turn is running stops the step: the call is
        cancelled at its server, nothing of it is sent, and the turn ends interrupted."""
        turn = self.current
        if turn is not None and self.protocol.decoder.cancelled.intersection(turn.running_calls):
            turn.stop_tools()
        return events

    def new_session_for_tools(self, turn: SocketTurn) -> bool:
        return turn.offered != self.protocol.tools  # Live fixes tools at setup, as it does instructions

    async def _open_once(self) -> float:
        self.protocol.system = self.system  # Live fixes instructions at setup
        self.protocol.tools = self.tools
        connect_ms = await super()._open_once()
        self.opened_at = time.perf_counter()
        if self.resuming:
            self.resumed += 1  # counted here, as the socket is set up: the server may close it before `_resume` wakes
        return connect_ms

    async def run(self, turn: SocketTurn) -> None:
        notice, self.gave_up = self.gave_up, None
        if notice is not None:
            turn.notice(notice)
        self.resume_backoff.in_a_row = 0  # the user asked for this socket: its own going away may be resumed again
        await super().run(turn)

    async def send_video(self, jpeg: bytes) -> bool:
        """A shared frame into the open session; False when none is open (the frame is dropped:
        a Live session wants the present, not a backlog)."""
        if not self.is_open or not self.protocol.ready:
            return False
        self.protocol.send_video(jpeg)
        try:
            await self.flush()
        except SocketFailure:
            return False
        return True

    def between_answers(self) -> bool:
        """No answer is on its way (a going-away session is resumed only then)."""
        return self.current is None

    def resumes(self) -> bool:
        return self.protocol.going_away and self.between_answers()

    def on_closed(self, code: int | None, reason: str) -> None:
        if self.resumes():
            wait = self.resume_backoff.next_wait(time.perf_counter() - self.opened_at)
            if wait is not None:
                self.set_state(ConnectionState.RECONNECTING)  # going away: resume with the handle, quietly
                self.spawn(self._resume(wait))
                return
            self.resume_given_up(Notice(
                f"{self.target.address} closed the Live session right after each of {len(self.resume_backoff.waits)} resumes;"
                " rtchat stopped resuming it (the next message opens a new one)", "warning"))
        super().on_closed(code, reason)

    def resume_given_up(self, notice: Notice) -> None:
        """Hook: say once that resuming stopped (a text connection tells its next turn)."""
        self.gave_up = notice

    async def _resume(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self.resuming = True
        try:
            await self.ensure_open()
        except Exception:
            self.set_state(ConnectionState.CLOSED)
        finally:
            self.resuming = False

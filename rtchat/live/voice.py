"""Voice sessions on the live connections: the same owner, address, auth, redirect refusal,
retry and resume as text turns. A voice session has no turns on the socket (it speaks
verbs and reads signals), so every decoded event goes to `on_event` instead of a turn,
and a socket that closes stays closed until the session opens a new one."""

from __future__ import annotations

from collections.abc import Callable

from rtchat.config import NetworkSettings
from rtchat.events import Error, ErrorKind, Event, Notice
from rtchat.live.gemini import GeminiLiveConnection
from rtchat.live.realtime import RealtimeConnection
from rtchat.target import Target
from rtchat.transports.websocket import ConnectionState
from rtchat.wire.gemini_live_voice import LiveVoiceProtocol
from rtchat.wire.openai_realtime import RealtimeProtocol


class VoiceRouting:
    """Mixed in before a `LiveConnection`: events to `on_event`, a close said once, then CLOSED."""

    on_event: Callable[[Event], None] = staticmethod(lambda event: None)

    def route(self, event: Event) -> None:
        self.on_event(event)

    def closing_words(self, code: int | None, reason: str) -> Error | None:
        """Hook: what a close frame says to the voice session (Live reports errors as close frames)."""
        return None

    def on_closed(self, code: int | None, reason: str) -> None:
        if not self.resumes():
            error = self.closing_words(code, reason)
            if error is not None:
                self.on_event(error)
        super().on_closed(code, reason)
        if self.state is ConnectionState.IDLE:
            self.set_state(ConnectionState.CLOSED)  # a voice session does not reopen by itself: the link is over


class RealtimeVoiceConnection(VoiceRouting, RealtimeConnection):
    """OpenAI Realtime for a voice session, which sends its own session setup."""

    def make_protocol(self) -> RealtimeProtocol:
        return RealtimeProtocol(None, self.target.realtime_dialect)


class GeminiLiveVoiceConnection(VoiceRouting, GeminiLiveConnection):
    """Gemini Live with audio answers; instructions and activity detection are fixed at setup."""

    def __init__(self, target: Target, network: NetworkSettings, system: str | None = None, hands_free: bool = False) -> None:
        self.hands_free = hands_free
        super().__init__(target, network)
        self.system = system

    def make_protocol(self) -> LiveVoiceProtocol:
        return LiveVoiceProtocol(self.target.model, None, self.hands_free)

    def between_answers(self) -> bool:
        return not self.protocol.answering

    def resume_given_up(self, notice: Notice) -> None:
        self.on_event(notice)  # the voice session shows it now: there is no next turn on this socket

    def closing_words(self, code: int | None, reason: str) -> Error | None:
        if code in (None, 1000):
            return None
        return Error(ErrorKind.SERVER, f"the Live server closed the session ({code}): {reason or 'no reason given'}")

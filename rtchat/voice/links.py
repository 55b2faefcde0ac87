"""The pipe between a voice session and a voice model: events one way and the
other, the user's audio out, the model's audio back. One class per transport,
so the session's push-to-talk and barge-in logic is written once, and each
class speaks through the transport's one connection owner (the live connection
text turns use, or a `RealtimeCall`) and the wire's protocol object.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from rtchat.audio.pcm import to_pcm16
from rtchat.config import NetworkSettings, VoiceSettings
from rtchat.conversation import ChatMessage, ToolResult, ToolSpec
from rtchat.events import Event, SpeechStarted
from rtchat.live.pool import ws_wire_for
from rtchat.live.voice import GeminiLiveVoiceConnection, RealtimeVoiceConnection
from rtchat.target import Target
from rtchat.transports.webrtc import calls_url
from rtchat.transports.websocket import ConnectionState, SocketFailure
from rtchat.wire import gemini_live as live
from rtchat.wire.openai_realtime import BETA, RealtimeProtocol, tools_update

INPUT_TAIL_S = 0.12  # after the last frame leaves: RTP + the far end's jitter buffer


class ProtocolVoice:
    """The voice session's verbs, said in the wire's words by the link's protocol object,
    and what the server said, decoded there into events for the session's `on_event`.
    A link sets `protocol` and writes what was queued in `_sent()`."""

    protocol: Any
    webrtc = False
    on_event: Callable[[Event], None]
    frame_for_turn: Callable[[], str | None] = staticmethod(lambda: None)  # issue 29: a shared frame (data URL) for each spoken Realtime turn

    @property
    def ready(self) -> bool:
        """The server announced the session (its dialect is known)."""
        return self.protocol.ready

    @property
    def dialect(self) -> str | None:
        """The dialect the protocol speaks; None: the session waits (bounded) for the server to announce it."""
        return self.protocol.announced_dialect

    @property
    def response_active(self) -> bool:
        return self.protocol.response_active

    def voice_setup(self, modalities: list[str], instructions: str | None, transcribe: bool, vad: str | None) -> None:
        self.protocol.send_voice_setup(modalities, instructions, transcribe, vad)
        self._sent()

    def set_vad(self, vad: str | None) -> None:
        self.protocol.send_vad(vad)
        self._sent()

    def clear_input(self) -> None:
        self.protocol.send_clear_input()
        self._sent()

    def speech_begins(self) -> None:
        self.protocol.send_speech_begins()
        self._sent()

    def speech_ends(self) -> None:
        self._send_frame()  # push-to-talk: the latest frame joins the turn before its response.create
        self.protocol.send_speech_ends()
        self._sent()

    def _send_frame(self) -> bool:
        """Realtime takes images, not video: a running share's latest frame as an item of the
        user's spoken turn (GA only: beta has no field for image bytes). Whether one was queued."""
        if not isinstance(self.protocol, RealtimeProtocol) or self.protocol.dialect == BETA:
            return False
        image = self.frame_for_turn()
        if image is not None:
            self.protocol.send_image(image)
        return image is not None

    def send_video(self, jpeg: bytes) -> bool:
        """A shared frame into a Live session's realtime input (False: this link streams none)."""
        if isinstance(self.protocol, RealtimeProtocol) or not self.protocol.ready:
            return False
        self.protocol.send_video(jpeg)
        self._sent()
        return True

    def barge_in(self, heard_ms: int | None) -> None:
        self.protocol.send_barge_in(heard_ms, self.webrtc)
        self._sent()

    tools_at_setup = False  # True: the tools go in the session's setup (before `connect`), and other tools need a new session

    def offer_tools(self, tools: Sequence[ToolSpec]) -> bool:
        """Tell the open session of the conversation's tools (an empty offer takes them all away);
        False: this link cannot offer them."""
        if not isinstance(self.protocol, RealtimeProtocol):
            return False
        self.protocol.send(tools_update(tools, self.protocol.dialect))
        self.protocol.offered = tuple(tools)
        self._sent()
        return True

    def send_tool_results(self, results: Sequence[ToolResult]) -> bool:
        """A step's outputs and whatever makes the model go on (Realtime: one `response.create`);
        False: nothing was left to send (the server withdrew every call)."""
        sent = self.protocol.send_tool_results(results)
        self._sent()
        return sent

    @property
    def withdrawn(self) -> set[str]:
        """Call ids the server cancelled (Live's `toolCallCancellation`); Realtime withdraws none."""
        return set()

    def _sent(self) -> None:
        raise NotImplementedError

    def _received(self, frame: str | bytes) -> None:
        self.protocol.receive_data(frame)
        for event in self.protocol.events_received():
            self._heard(event)

    def _heard(self, event: Event) -> None:
        """A decoded server event, on its way to the session."""
        if isinstance(event, SpeechStarted) and self._send_frame():
            self._sent()  # hands-free: the server answers at the speech's end by itself, so the frame goes as it begins
        self.on_event(event)


class WebRTCLink(ProtocolVoice):
    """OpenAI Realtime over WebRTC: events on the data channel, audio on the tracks."""

    webrtc = True
    vad_in_session = True  # hands-free switches with a session.update
    input_rate = 48000
    output_rate = 48000

    def __init__(self, client: httpx.AsyncClient, url: str, key: str | None, ice_servers: Sequence[Any] = (), dialect: str | None = None) -> None:
        from rtchat.transports.webrtc import RealtimeCall  # loads aiortc: only when a call is wanted

        self.client, self.url, self.key = client, url, key
        self.protocol = RealtimeProtocol(dialect=dialect)  # the session sends its own session setup
        self.on_event: Callable[[Event], None] = lambda event: None
        self.on_audio: Callable[[Any, int, int | None], None] = lambda samples, rate, ts: None
        self.on_state: Callable[[ConnectionState], None] = lambda state: None
        self.call = RealtimeCall(
            lambda event: None,  # unused: messages arrive undecoded at on_text, for the protocol object
            lambda samples, rate, ts: self.on_audio(samples, rate, ts),
            lambda state: self.on_state(state),
            ice_servers,
            on_text=self._received,
        )

    @property
    def connect_ms(self) -> float | None:
        return self.call.connect_ms

    async def connect(self) -> None:
        await self.call.connect(self.client, self.url, self.key)

    def _sent(self) -> None:
        self.call.flush(self.protocol)

    def push_audio(self, samples) -> None:
        self.call.mic.push(samples)

    def drop_input(self) -> None:
        self.call.mic.clear()

    async def flush_input(self) -> float:
        """Return once the audio pushed so far has reached the server (before a commit);
        the result is when the last of it left (time.perf_counter())."""
        await self.call.mic.drained()
        drained_at = time.perf_counter()
        await asyncio.sleep(INPUT_TAIL_S)
        return drained_at

    async def close(self) -> None:
        await self.call.close()


class SocketLink(ProtocolVoice):
    """Voice over a WebSocket, on the live connection text turns use (live/voice.py): the
    same address, auth, redirect refusal, retry and resume. The session's verbs and the
    user's audio go through the protocol object's queue and the connection's one writer."""

    webrtc = False
    vad_in_session = True
    input_rate = 24000
    output_rate = 24000
    CHUNK_S = 0.1  # audio in 100 ms pieces: few frames, little added delay

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.protocol = connection.protocol
        self.on_event: Callable[[Event], None] = lambda event: None
        self.on_audio: Callable[[Any, int, int | None], None] = lambda samples, rate, ts: None
        self.on_state: Callable[[ConnectionState], None] = lambda state: None
        self.connect_ms: float | None = None
        connection.on_event = self._heard
        connection.add_listener(lambda state: self.on_state(state))
        self._pending = bytearray()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task | None = None

    async def connect(self) -> None:
        try:
            self.connect_ms = await self.connection.ensure_open()
        except SocketFailure as exc:
            self.connection.set_state(ConnectionState.FAILED)
            raise ConnectionError(exc.error.message) from None
        self._writer = asyncio.ensure_future(self._write())

    # ---------------------------------------------------------------- sending

    def _sent(self) -> None:
        self._wake.set()

    def speech_ends(self) -> None:
        self._send_pending()  # the last of the speech goes before the end of it
        super().speech_ends()

    def push_audio(self, samples) -> None:
        self._pending += to_pcm16(samples)
        if len(self._pending) >= int(self.input_rate * self.CHUNK_S) * 2:
            self._send_pending()

    def _send_pending(self) -> None:
        if self._pending:
            self.protocol.send_audio(bytes(self._pending))
            self._pending.clear()
            self._wake.set()

    def drop_input(self) -> None:
        self._pending.clear()

    async def flush_input(self) -> float:
        self._send_pending()
        return time.perf_counter()

    async def _write(self) -> None:
        """The one writer: whatever the protocol object queued, in order."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.connection.flush()
            except SocketFailure:
                pass  # the socket is gone; its reader reports why (frames queued meanwhile are dropped)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
        await self.connection.aclose()


class RealtimeSocketLink(SocketLink):
    """OpenAI Realtime over WebSocket: the user's audio and the answer's ride in the events
    (PCM16 24 kHz); `RealtimeProtocol` says and reads them."""

    def __init__(self, target: Target, network: NetworkSettings) -> None:
        super().__init__(RealtimeVoiceConnection(target, network))  # the session sends its own session setup


class GeminiLiveLink(SocketLink):
    """Gemini Live (BidiGenerateContent) over WebSocket: `setup` with AUDIO answers and
    (push-to-talk) manual activity detection, the user's audio PCM16 16 kHz, the answer's
    PCM16 24 kHz; `LiveVoiceProtocol` says the session's verbs in Live's words and decodes
    what comes back. When the server says it is going away between answers, the connection
    resumes the session with its handle, as it does for text turns.

    Tools are declared in `setup` too (`offer_tools` before `connect`); the model's
    `toolCall` is answered with one `toolResponse`, and a `toolCallCancellation` shows
    in `withdrawn` (the session cancels those calls at their servers).

    A new session (voice opened on a conversation, hands-free switched or other tools:
    Live fixes activity detection and tools at setup) is seeded with the conversation so far as
    `clientContent` turns with `turnComplete` false, so the next answer builds on them.
    Not the old session's handle: the Live docs do not say a resumed session may take
    a different `realtimeInputConfig`, and a fresh conversation has no handle at all."""

    input_rate = live.INPUT_RATE
    output_rate = live.OUTPUT_RATE
    vad_in_session = False  # activity detection is fixed at setup: switching modes opens a new session

    def __init__(self, target: Target, network: NetworkSettings, system: str | None = None, hands_free: bool = False, history: Sequence[ChatMessage] = ()) -> None:
        # Live fixes instructions and activity detection at setup, before the session's own setup
        super().__init__(GeminiLiveVoiceConnection(target, network, system, hands_free))
        self.history = [message for message in history if message.text]  # the context a new session starts from

    @property
    def sent_log(self) -> list[str]:
        """The kinds of message sent after setup, in order (tests read the barge-in order)."""
        return self.protocol.sent_log

    @property
    def resumed(self) -> int:
        return self.connection.resumed

    tools_at_setup = True  # Live fixes tools at `setup`, as it fixes instructions

    def offer_tools(self, tools: Sequence[ToolSpec]) -> bool:
        """Before `connect`: the tools go in `setup` as `functionDeclarations` (the connection
        copies them into each setup it sends, a resumed one included)."""
        self.connection.tools = tuple(tools)
        return True

    @property
    def withdrawn(self) -> set[str]:
        return self.protocol.decoder.cancelled

    async def connect(self) -> None:
        await super().connect()
        if self.history:  # once: a resumed session carries the server's own context
            self.protocol.send(live.client_content(self.history, turn_complete=False))
            self._wake.set()


def link_for(target: Target, protocol: str, settings: VoiceSettings, client: httpx.AsyncClient, network: NetworkSettings, system: str | None = None, hands_free: bool = False, history: Sequence[ChatMessage] = ()):
    """The link for this model and protocol, or LookupError with a one-line reason it cannot be made."""
    if protocol == "webrtc":
        if target.provider.wire not in ("openai_chat", "openai_responses") or target.provider.id == "gemini":
            raise LookupError(f"{target.provider.id} offers no WebRTC endpoint; use --protocol websocket")
        return WebRTCLink(client, calls_url(target.base_url, target.model), target.key, settings.ice_servers, target.realtime_dialect)
    if target.provider.id == "gemini":
        if ws_wire_for(target) != "gemini_live":
            raise LookupError(f"{target.ref} is not a Gemini Live model; spoken turns need one (e.g. gemini/gemini-live-2.5-flash-preview)")
        return GeminiLiveLink(target, network, system, hands_free, history)  # Realtime sessions start empty; Live is seeded
    return RealtimeSocketLink(target, network)

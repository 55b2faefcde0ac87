"""The pipe between a voice session and a voice model: events one way and the
other, the user's audio out, the model's audio back. One class per transport,
so the session's push-to-talk and barge-in logic is written once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from rtchat.live.pool import ws_wire_for
from rtchat.target import Target
from rtchat.transports.webrtc import calls_url
from rtchat.voice.settings import VoiceSettings

INPUT_TAIL_S = 0.12  # after the last frame leaves: RTP + the far end's jitter buffer


class WebRTCLink:
    """OpenAI Realtime over WebRTC: events on the data channel, audio on the tracks."""

    webrtc = True
    input_rate = 48000
    output_rate = 48000

    def __init__(self, client: httpx.AsyncClient, url: str, key: str | None, ice_servers: Sequence[Any] = ()) -> None:
        from rtchat.transports.webrtc import RealtimeCall

        self.client, self.url, self.key = client, url, key
        self.on_event: Callable[[dict], None] = lambda event: None
        self.on_audio: Callable[[Any, int, int | None], None] = lambda samples, rate, ts: None
        self.on_state: Callable[[str], None] = lambda state: None
        self.call = RealtimeCall(
            lambda event: self.on_event(event),
            lambda samples, rate, ts: self.on_audio(samples, rate, ts),
            lambda state: self.on_state(state),
            ice_servers,
        )

    @property
    def connect_ms(self) -> float | None:
        return self.call.connect_ms

    async def connect(self) -> None:
        await self.call.connect(self.client, self.url, self.key)

    def send(self, event: dict) -> None:
        self.call.send(event)

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


class RealtimeSocketLink:
    """OpenAI Realtime over WebSocket: the user's audio as `input_audio_buffer.append`
    (PCM16 24 kHz) and the answer's audio as `response.output_audio.delta` events."""

    webrtc = False
    input_rate = 24000
    output_rate = 24000
    CHUNK_S = 0.1  # append in 100 ms pieces: few frames, little added delay

    def __init__(self, base_url: str, model: str, key: str | None, connect_timeout: float = 10.0) -> None:
        self.base_url, self.model, self.key = base_url, model, key
        self.connect_timeout = connect_timeout
        self.on_event: Callable[[dict], None] = lambda event: None
        self.on_audio: Callable[[Any, int, int | None], None] = lambda samples, rate, ts: None
        self.on_state: Callable[[str], None] = lambda state: None
        self.connect_ms: float | None = None
        self._socket = None
        self._outbox: asyncio.Queue = asyncio.Queue()
        self._pending = bytearray()
        self._tasks: list[asyncio.Task] = []

    def address(self):
        from urllib.parse import quote

        from rtchat.transports.websocket import SocketAddress, socket_url

        headers = (("Authorization", f"Bearer {self.key}"),) if self.key else ()
        return SocketAddress(socket_url(self.base_url, "/realtime", f"model={quote(self.model)}"), headers)

    async def handshake(self, socket) -> None:
        """After the upgrade, before the reader starts (Live: `setup` / `setupComplete`)."""

    async def connect(self) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        from rtchat.target import is_local
        from rtchat.transports.websocket import (
            SocketFailure,
            close_of,
            describe_close,
            open_socket,
        )

        address = self.address()
        self.on_state("connecting")
        try:
            self._socket, self.connect_ms = await open_socket(address, self.connect_timeout, local=is_local(self.base_url))
            await asyncio.wait_for(self.handshake(self._socket), self.connect_timeout)
        except SocketFailure as exc:
            await self._give_up()
            raise ConnectionError(exc.error.message) from None
        except InvalidStatus as exc:
            await self._give_up()
            raise ConnectionError(f"{address.host} refused the WebSocket ({exc.response.status_code})") from None
        except ConnectionClosed as exc:
            await self._give_up()
            raise ConnectionError(describe_close(address.host, *close_of(exc), "while setting up the session").message) from None
        except TimeoutError:
            await self._give_up()
            raise ConnectionError(f"{address.host} did not set up the session within {self.connect_timeout:g} s") from None
        self._tasks = [asyncio.ensure_future(self._read()), asyncio.ensure_future(self._write())]
        self.on_state("connected")

    async def _give_up(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        self.on_state("failed")

    def send(self, event: dict) -> None:
        if event.get("type") == "input_audio_buffer.commit":
            self._send_pending()
        self._outbox.put_nowait(event)

    def push_audio(self, samples) -> None:
        from rtchat.audio.pcm import to_pcm16

        self._pending += to_pcm16(samples)
        if len(self._pending) >= int(self.input_rate * self.CHUNK_S) * 2:
            self._send_pending()

    def _send_pending(self) -> None:
        if self._pending:
            self._outbox.put_nowait(self.audio_message(bytes(self._pending)))
            self._pending.clear()

    def audio_message(self, pcm16: bytes) -> dict:
        from rtchat.wire import openai_realtime as rt

        return rt.audio_append(pcm16)

    def decode(self, frame: str | bytes) -> list[dict]:
        """A server frame as session events (Realtime's own dialect: the JSON as it is)."""
        import json

        try:
            event = json.loads(frame)
        except ValueError:
            event = None
        return [event if isinstance(event, dict) else {"type": "rtchat.malformed"}]

    def closed_by_server(self, code: int | None, reason: str) -> None:
        """Realtime reports errors as `error` events, so a close says nothing more."""

    def drop_input(self) -> None:
        self._pending.clear()

    async def flush_input(self) -> float:
        self._send_pending()
        return time.perf_counter()

    async def _write(self) -> None:
        import json

        while True:
            event = await self._outbox.get()
            await self._socket.send(json.dumps(event, separators=(",", ":")))

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        from rtchat.transports.websocket import close_of

        socket = self._socket
        code, reason = None, ""
        try:
            async for frame in socket:
                for event in self.decode(frame):
                    self.on_event(event)
            code, reason = socket.close_code, socket.close_reason or ""
        except ConnectionClosed as exc:
            code, reason = close_of(exc)
        self.closed_by_server(code, reason)
        self.on_state("closed")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        self.on_state("closed")


class GeminiLiveLink(RealtimeSocketLink):
    """Gemini Live (BidiGenerateContent) over WebSocket: `setup` with AUDIO answers and
    manual activity detection, the user's audio as `realtimeInput.audio` (PCM16 16 kHz),
    the answer's audio (PCM16 24 kHz) and transcriptions in `serverContent`. The session's
    Realtime events are translated both ways by `LiveDialect`."""

    input_rate = 16000
    output_rate = 24000

    def __init__(self, base_url: str, model: str, key: str | None, connect_timeout: float = 10.0, system: str | None = None) -> None:
        from rtchat.voice.live_dialect import LiveDialect

        super().__init__(base_url, model, key, connect_timeout)
        self.system = system  # Live fixes instructions at setup, before the session's session.update
        self.dialect = LiveDialect()
        self.sent_log: list[str] = []  # the kinds of message sent, in order (tests read the barge-in order)

    def address(self):
        from rtchat.transports.websocket import SocketAddress, socket_url
        from rtchat.wire import gemini_live as live

        headers = (("x-goog-api-key", self.key),) if self.key else ()
        return SocketAddress(socket_url(self.base_url, live.PATH), headers)

    async def handshake(self, socket) -> None:
        import json

        from rtchat.wire import gemini_live as live

        await socket.send(json.dumps(live.setup(self.model, ["AUDIO"], self.system, manual_activity=True)))
        while not self.dialect.decoder.setup_complete:
            self.dialect.decoder.feed_text(await socket.recv())

    def send(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "input_audio_buffer.commit":
            self._send_pending()
        for message in self.dialect.to_live(event):
            self._outbox.put_nowait(message)
        if kind == "response.create":  # Live answers an activityEnd unasked; the session tracks it as a response
            asyncio.get_running_loop().call_soon(self.on_event, {"type": "response.created"})

    def audio_message(self, pcm16: bytes) -> dict:
        from rtchat.wire import gemini_live as live

        return live.realtime_audio(pcm16)

    def decode(self, frame: str | bytes) -> list[dict]:
        return self.dialect.from_live(frame)

    def closed_by_server(self, code: int | None, reason: str) -> None:
        from rtchat.voice.live_dialect import closed_event

        event = closed_event(code, reason)
        if event is not None:
            self.on_event(event)

    async def _write(self) -> None:
        import json

        from rtchat.voice.live_dialect import message_kind

        while True:
            message = await self._outbox.get()
            self.sent_log.append(message_kind(message))
            await self._socket.send(json.dumps(message, separators=(",", ":")))


def link_for(target: Target, protocol: str, settings: VoiceSettings, client: httpx.AsyncClient, connect_timeout: float, system: str | None = None):
    """The link for this model and protocol, or LookupError with a one-line reason it cannot be made."""
    if protocol == "webrtc":
        if target.provider.wire not in ("openai_chat", "openai_responses") or target.provider.id == "gemini":
            raise LookupError(f"{target.provider.id} offers no WebRTC endpoint; use --protocol websocket")
        return WebRTCLink(client, calls_url(target.base_url, target.model), target.key, settings.ice_servers)
    if target.provider.id == "gemini":
        if ws_wire_for(target) != "gemini_live":
            raise LookupError(f"{target.ref} is not a Gemini Live model; spoken turns need one (e.g. gemini/gemini-live-2.5-flash-preview)")
        return GeminiLiveLink(target.base_url, target.model, target.key, connect_timeout, system)
    return RealtimeSocketLink(target.base_url, target.model, target.key, connect_timeout)

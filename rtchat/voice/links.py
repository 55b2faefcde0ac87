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

    async def connect(self) -> None:
        from urllib.parse import quote

        from rtchat.session import is_local
        from rtchat.transports.websocket import SocketAddress, SocketFailure, open_socket, socket_url

        headers = (("Authorization", f"Bearer {self.key}"),) if self.key else ()
        address = SocketAddress(socket_url(self.base_url, "/realtime", f"model={quote(self.model)}"), headers)
        self.on_state("connecting")
        try:
            self._socket, self.connect_ms = await open_socket(address, self.connect_timeout, local=is_local(self.base_url))
        except SocketFailure as exc:
            self.on_state("failed")
            raise ConnectionError(exc.error.message) from None
        self._tasks = [asyncio.ensure_future(self._read()), asyncio.ensure_future(self._write())]
        self.on_state("connected")

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
        from rtchat.wire import openai_realtime as rt

        if self._pending:
            self._outbox.put_nowait(rt.audio_append(bytes(self._pending)))
            self._pending.clear()

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
        import json

        from websockets.exceptions import ConnectionClosed

        try:
            async for frame in self._socket:
                try:
                    event = json.loads(frame)
                except ValueError:
                    event = {"type": "rtchat.malformed"}
                self.on_event(event if isinstance(event, dict) else {"type": "rtchat.malformed"})
        except ConnectionClosed:
            pass
        self.on_state("closed")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        self.on_state("closed")

"""The one WebRTC call owner (aiortc, imported when a call starts), for text turns and voice.

The JSON events of the Realtime API travel on the `oai-events` data channel;
the user's voice goes out on an Opus track and the model's voice comes back on
the remote track. Signalling is one HTTP POST: our SDP offer to
`{base}/realtime/calls`, the SDP answer in the 201 body. What to send and what
a message means live in `wire.openai_realtime.RealtimeProtocol`; the call only
moves messages and audio, and reports its state as a `ConnectionState`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from rtchat.audio.support import AudioUnavailable, load_aiortc
from rtchat.errors import ConnectionFailure, server_message
from rtchat.target import key_headers
from rtchat.transports.websocket import ConnectionState, SessionProtocol

if TYPE_CHECKING:
    from rtchat.debuglog import WireLog

CONNECT_TIMEOUT = 10.0
CHANNEL = "oai-events"
ICE_PWD = re.compile(r"^(a=ice-pwd:)[^\r\n]*", re.MULTILINE)

OnEvent = Callable[[dict], None]
OnAudio = Callable[[Any, int, int | None], None]  # samples (float32 mono), rate, timestamp
OnState = Callable[[ConnectionState], None]
OnText = Callable[[str], None]  # a raw data-channel message, for callers that decode it themselves


class WebRTCError(ConnectionFailure):
    """The call could not be set up; the message is meant for the user.

    `status` and `body` are kept when the server refused the offer, so a caller
    can word the refusal its own way (naming the provider's key, say).
    """

    def __init__(self, message: str, status: int | None = None, body: bytes = b"", location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.location = location  # where a 3xx pointed (never followed: the offer carries the key)


def calls_url(base_url: str, model: str) -> str:
    return f"{base_url.rstrip('/')}/realtime/calls?model={quote(model)}"


def ice_servers_from(config_entries: Sequence[Any]) -> list:
    """`[voice] ice_servers` entries (a URL string, or {urls, username, credential}) for aiortc."""
    from aiortc import RTCIceServer  # heavy: loaded only when a call starts

    servers = []
    for entry in config_entries or ():
        if isinstance(entry, str):
            servers.append(RTCIceServer(urls=entry))
        elif isinstance(entry, dict) and entry.get("urls"):
            servers.append(RTCIceServer(urls=entry["urls"], username=entry.get("username"), credential=entry.get("credential")))
    return servers


def redact_sdp(sdp: str) -> str:
    """An SDP with its ICE password replaced: with the ufrag it would let a reader join the call."""
    return ICE_PWD.sub(r"\1[redacted]", sdp)


def describe_refusal(status: int, body: bytes) -> str:
    detail = server_message(body)
    if status in (401, 403):
        return f"the server refused the WebRTC offer: the key was rejected ({status}){': ' + detail if detail else ''}"
    return f"the server refused the WebRTC offer ({status}){': ' + detail if detail else ''}"


class RealtimeCall:
    """One WebRTC call: `connect()`, then `send()` events and push audio into `mic`."""

    def __init__(self, on_event: OnEvent, on_audio: OnAudio, on_state: OnState | None = None, ice_servers: Sequence[Any] = (), on_text: OnText | None = None) -> None:
        load_aiortc()
        from rtchat.audio.tracks import PacedAudioTrack  # imports aiortc and av: only once a call is wanted

        self.on_event = on_event
        self.on_audio = on_audio
        self.on_state = on_state or (lambda state: None)
        self.on_text = on_text  # set: messages go here undecoded, and on_event is not called
        self.ice_servers = list(ice_servers)
        self.mic = PacedAudioTrack()
        self.state = ConnectionState.IDLE
        self.connect_ms: float | None = None  # offer created -> data channel open
        self._pc = None
        self._channel = None
        self.wire_log: WireLog | None = None  # `--debug`: the data channel's messages both ways, redacted
        self._tasks: set[asyncio.Task] = set()

    def _set_state(self, state: ConnectionState) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state)

    async def connect(self, client: httpx.AsyncClient, url: str, key: str | None, timeout: float = CONNECT_TIMEOUT, session: dict | None = None) -> None:
        """Offer, answer, ICE+DTLS until the data channel opens. With `session`, the
        offer goes as the documented multipart form (`sdp` + `session`), so the
        session starts configured; without it, as a bare `application/sdp` body."""
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # heavy: see the module docstring

        began = time.perf_counter()
        deadline = began + timeout
        self._set_state(ConnectionState.CONNECTING)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers_from(self.ice_servers)))
        self._pc = pc
        opened, failed = asyncio.Event(), asyncio.Event()
        channel = pc.createDataChannel(CHANNEL)  # before the offer, so the SDP carries it
        self._channel = channel
        channel.on("open", opened.set)
        channel.on("message", self._on_message)
        channel.on("close", lambda: self._set_state(ConnectionState.CLOSED))
        pc.addTransceiver(self.mic, direction="sendrecv")

        @pc.on("track")
        def on_track(track) -> None:
            if track.kind == "audio":
                self._spawn(self._read_remote(track))

        @pc.on("connectionstatechange")
        def on_change() -> None:
            if pc.connectionState == "failed":
                failed.set()
                self._set_state(ConnectionState.FAILED)
            elif pc.connectionState == "closed":
                self._set_state(ConnectionState.CLOSED)

        try:
            await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers ICE here
            headers = key_headers("openai_realtime", key)
            if session is None:
                body: dict[str, Any] = {"content": pc.localDescription.sdp.encode(), "headers": {**headers, "Content-Type": "application/sdp"}}
            else:
                form = {"sdp": (None, pc.localDescription.sdp, "application/sdp"), "session": (None, json.dumps(session), "application/json")}
                body = {"files": form, "headers": headers}
            self._log_offer(url, headers, pc.localDescription.sdp, session)
            try:
                response = await client.post(url, **body, timeout=max(0.1, deadline - time.perf_counter()))
            except httpx.TimeoutException:
                raise WebRTCError(f"no answer to the WebRTC offer within {timeout:g} s from {httpx.URL(url).host}") from None
            except httpx.TransportError as exc:
                raise WebRTCError(f"could not reach {httpx.URL(url).host} to start the WebRTC call ({type(exc).__name__}: {exc})") from None
            self._log_answer(response)
            if response.status_code not in (200, 201):
                raise WebRTCError(describe_refusal(response.status_code, response.content), response.status_code, response.content, response.headers.get("location"))
            await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))
            waits = [asyncio.ensure_future(opened.wait()), asyncio.ensure_future(failed.wait())]
            done, pending = await asyncio.wait(waits, timeout=max(0.0, deadline - time.perf_counter()), return_when=asyncio.FIRST_COMPLETED)
            for waiter in pending:
                waiter.cancel()
            if not opened.is_set():
                why = "ICE failed" if failed.is_set() else f"no connection within {timeout:g} s"
                raise WebRTCError(f"the WebRTC call to {httpx.URL(url).host} did not connect ({why}); on a strict network set STUN/TURN servers under [voice] ice_servers")
        except BaseException:
            self._set_state(ConnectionState.FAILED)
            await self.close()
            raise
        self.connect_ms = (time.perf_counter() - began) * 1000
        self._set_state(ConnectionState.OPEN)

    def _log_offer(self, url: str, headers: dict[str, str], sdp: str, session: dict | None) -> None:
        """`--debug`: the signalling POST as sent (headers redacted, ICE password out of the SDP)."""
        if self.wire_log is None:
            return
        body: Any = {"sdp": redact_sdp(sdp), "session": session} if session is not None else redact_sdp(sdp)
        self.wire_log.request("POST", url, headers, body)

    def _log_answer(self, response: httpx.Response) -> None:
        if self.wire_log is None:
            return
        self.wire_log.response(response.status_code, response.headers)
        self.wire_log.write("answer", redact_sdp(response.text).replace("\r\n", "\n"))  # one log line: \n written as \\n

    @property
    def is_open(self) -> bool:
        """Connected and the data channel can carry events."""
        return self.state is ConnectionState.OPEN and self._channel is not None and self._channel.readyState == "open"

    def send(self, event: dict) -> None:
        self.send_text(json.dumps(event, separators=(",", ":")))

    def send_text(self, text: str) -> None:
        if self._channel is None or self._channel.readyState != "open":
            raise WebRTCError("the WebRTC data channel is not open")
        if self.wire_log is not None:
            self.wire_log.socket_frame("sent", text)
        self._channel.send(text)

    def flush(self, protocol: SessionProtocol) -> bool:
        """Send what the protocol object queued; False when the channel is gone (the rest is dropped)."""
        from aiortc.exceptions import InvalidStateError  # heavy: already loaded by the time a call exists

        for text in protocol.data_to_send():
            try:
                self.send_text(text)
            except (WebRTCError, InvalidStateError):  # not open, or closing under us
                return False
        return True

    def _on_message(self, message: Any) -> None:
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        if self.wire_log is not None:
            self.wire_log.socket_frame("received", message)
        if self.on_text is not None:
            self.on_text(message)
            return
        try:
            event = json.loads(message)
        except ValueError:
            event = {"type": "rtchat.malformed", "raw": str(message)[:200]}
        self.on_event(event if isinstance(event, dict) else {"type": "rtchat.malformed", "raw": str(message)[:200]})

    async def _read_remote(self, track) -> None:
        from aiortc.mediastreams import MediaStreamError  # heavy: see the module docstring

        from rtchat.audio.tracks import frame_to_mono  # imports av

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.on_audio(frame_to_mono(frame), frame.sample_rate, frame.pts)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._pc is not None:
            pc, self._pc = self._pc, None
            await pc.close()
        self.mic.stop()
        self._set_state(ConnectionState.CLOSED)


__all__ = ["RealtimeCall", "WebRTCError", "AudioUnavailable", "calls_url", "CONNECT_TIMEOUT"]

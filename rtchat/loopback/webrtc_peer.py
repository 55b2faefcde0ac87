"""OpenAI Realtime over WebRTC on the loopback: `POST /v1/realtime/calls`.

The SDP offer comes in (raw `application/sdp`, or multipart with an `sdp`
part), an aiortc peer answers (201), and from then on the shared
`RealtimeServerSession` runs the conversation: its events go out on the
`oai-events` data channel, the caller's track audio is resampled to 24 kHz and
fed to it, and its spoken answer goes back on our outgoing track. As OpenAI
does over WebRTC, `output_audio_buffer.stopped` is sent once the answer has
really left on the track, and `output_audio_buffer.clear` empties it.

aiortc and numpy load on the first call, never when the server starts.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .openai_chat import error_body
from .realtime_session import RealtimeServerSession, clock
from .realtime_ws import refusal

if TYPE_CHECKING:
    from .exchange import LoopbackState

PATH = "/v1/realtime/calls"
BETA_PATH = "/beta/v1/realtime/calls"  # the beta-only server (see realtime_ws.BETA_PATH)
CHANNEL = "oai-events"
SESSION_RATE = 24000
PEERS_KEY = web.AppKey("webrtc_peers", set)


def register(app: web.Application, state: LoopbackState) -> None:
    app[PEERS_KEY] = set()

    async def handle(request: web.Request) -> web.StreamResponse:
        return await answer_call(request, state)

    async def handle_beta(request: web.Request) -> web.StreamResponse:
        return await answer_call(request, state, dialect="beta")

    async def hang_up_all(app: web.Application) -> None:
        await asyncio.gather(*(peer.close() for peer in list(app[PEERS_KEY])), return_exceptions=True)

    app.router.add_post(PATH, handle)
    app.router.add_post(BETA_PATH, handle_beta)
    app.on_shutdown.append(hang_up_all)


async def read_offer(request: web.Request) -> tuple[str, dict[str, Any]]:
    """The offer's SDP and the optional `session` part of a multipart body."""
    if request.content_type.startswith("multipart/"):
        sdp, session = "", {}
        reader = await request.multipart()
        async for part in reader:
            if part.name == "sdp":
                sdp = await part.text()
            elif part.name == "session":
                try:
                    session = json.loads(await part.text())
                except ValueError:
                    session = {}
        return sdp, session if isinstance(session, dict) else {}
    return await request.text(), {}


async def answer_call(request: web.Request, state: LoopbackState, dialect: str = "ga") -> web.StreamResponse:
    sdp, session_config = await read_offer(request)
    model = request.query.get("model") or str(session_config.get("model") or "")
    refused = refusal(model)
    if refused is not None:
        return refused
    if "v=0" not in sdp or "m=audio" not in sdp:
        return web.json_response(error_body("bad_request", "The request body must be an SDP offer with an audio section."), status=400)
    peer = LoopbackPeer(state, model, dialect)
    try:
        answer = await peer.answer(sdp)
    except Exception as exc:  # a malformed offer: aiortc raises plain ValueErrors and friends
        await peer.close()
        return web.json_response(error_body("bad_request", f"The SDP offer could not be used ({type(exc).__name__}: {exc})."), status=400)
    request.app[PEERS_KEY].add(peer)
    peer.on_closed = lambda: request.app[PEERS_KEY].discard(peer)
    return web.Response(status=201, text=answer, content_type="application/sdp")


class LoopbackPeer:
    """The server end of one call: a peer connection driving one RealtimeServerSession."""

    def __init__(self, state: LoopbackState, model: str, dialect: str = "ga") -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection  # deferred: aiortc and PyAV (~300 ms), with the first WebRTC call

        from rtchat.audio.tracks import PacedAudioTrack

        self.state = state
        self.model = model
        self.dialect = dialect
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.speaker = PacedAudioTrack()  # our voice, 48 kHz for Opus
        self.session: RealtimeServerSession | None = None
        self.on_closed = lambda: None
        self._channel = None
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    async def answer(self, offer_sdp: str) -> str:
        from aiortc import RTCSessionDescription  # deferred: aiortc and PyAV (~300 ms), with the first WebRTC call

        pc = self.pc

        @pc.on("datachannel")
        def on_channel(channel) -> None:
            if channel.label == CHANNEL and self._channel is None:
                self._channel = channel
                channel.on("message", self._inbox.put_nowait)
                self._spawn(self._run_session())

        @pc.on("track")
        def on_track(track) -> None:
            if track.kind == "audio":
                self._spawn(self._listen(track))

        @pc.on("connectionstatechange")
        async def on_change() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "audio":
                transceiver.sender.replaceTrack(self.speaker)
                transceiver.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def _send(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "output_audio_buffer.stopped" and self.speaker.queued_samples:
            self._spawn(self._send_when_played(event))  # stopped means played out, as on OpenAI
            return
        self._send_now(event)

    def _send_now(self, event: dict) -> None:
        if self._channel is not None and self._channel.readyState == "open":
            self._channel.send(json.dumps(event, ensure_ascii=False, separators=(",", ":")))

    async def _send_when_played(self, event: dict) -> None:
        await self.speaker.drained()
        self._send_now(event)

    async def _speak(self, pcm16_24k: bytes) -> None:
        from rtchat.audio.pcm import to_float  # deferred: numpy and PyAV, with the first voice use
        from rtchat.audio.resample import resample

        self.speaker.push(resample(to_float(pcm16_24k), SESSION_RATE, self.speaker.rate))

    async def _run_session(self) -> None:
        self.session = RealtimeServerSession(self._send, self.model, self.state, audio_out=self._speak, audio_drained=self.speaker.drained, close=self._hang_up, path=BETA_PATH if self.dialect == "beta" else PATH, dialect=self.dialect)
        await self.session.open()
        while True:
            message = await self._inbox.get()
            try:
                event = json.loads(message)
            except (ValueError, TypeError):
                await self.session.error("invalid_request_error", "invalid_json", "The event is not valid JSON.")
                continue
            if isinstance(event, dict) and event.get("type") == "output_audio_buffer.clear":
                self.speaker.clear()
            await self.session.handle(event)

    async def _hang_up(self, code: int, reason: str) -> None:
        """A drop fault (fault-close-midreply): the call ends, as a crashed server's would."""
        await self.close()

    async def _listen(self, track) -> None:
        """The caller's voice, as 24 kHz PCM16 for the session's input buffer."""
        from aiortc.mediastreams import MediaStreamError  # deferred: aiortc and PyAV (~300 ms), with the first WebRTC call

        from rtchat.audio.pcm import to_pcm16
        from rtchat.audio.resample import Resampler
        from rtchat.audio.tracks import frame_to_mono

        resampler: Resampler | None = None
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if resampler is None:
                resampler = Resampler(frame.sample_rate, SESSION_RATE)
            if self.session is not None:
                await self.session.feed_audio(to_pcm16(resampler.process(frame_to_mono(frame))))

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        if self.session is not None:
            await self.session.close()
            self.session.connection.closed = clock()
        await self.pc.close()
        self.on_closed()

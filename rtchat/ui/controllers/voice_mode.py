"""Voice mode: the app's one `VoiceSession`, opened on the first push-to-talk press.

Opening is lazy so text chat never imports the sound and WebRTC libraries,
and the session is kept (the microphone stream stays open: reopening a
PulseAudio stream per press costs up to two seconds) until the model or the
protocol changes or the app closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rtchat.audio.support import AudioUnavailable, load_aiortc
from rtchat.catalog import ModelInfo
from rtchat.ui.controllers.voice_devices import VoiceDevices


def voice_protocol_for(protocol: str, info: ModelInfo) -> str | None:
    """The chosen protocol when it carries audio, else WebRTC, else the Realtime WebSocket."""
    if protocol != "sse" and protocol in info.protocols:
        return protocol
    for candidate in ("webrtc", "websocket"):
        if candidate in info.protocols:
            return candidate
    return None


def no_voice_message(ref: str) -> str:
    return f"{ref} does not take voice; pick a voice model such as loopback/echo or openai/gpt-realtime with ctrl+o"


class VoiceMode:
    """Opens, keeps and closes the voice session for one model and protocol."""

    def __init__(self, devices: VoiceDevices, settings: Any) -> None:
        self.devices = devices
        self.settings = settings
        self.voice: Any = None  # rtchat.voice.session.VoiceSession once opened
        self.opened_for: tuple[str, str] | None = None
        self._peak_dbfs: float | None = None  # the loudest 20 ms block since the meter last looked

    def is_open_for(self, ref: str, protocol: str) -> bool:
        return self.voice is not None and self.opened_for == (ref, protocol)

    async def open(self, session, target, protocol: str, system: str | None, on_change: Callable[[], None], hands_free: bool = False, on_turn: Callable[[], None] | None = None, history: Sequence[Any] = (), tools: Any = None):
        """A started voice session (with `tools`, the conversation's tool runner); raises AudioUnavailable, LookupError or a connection error with a one-line message."""
        await self.close()
        source = self.devices.source()  # first: no microphone means nothing connects

        if protocol == "webrtc":
            load_aiortc()
        from rtchat.audio.capture import Capture  # deferred: PyAV, numpy and websockets, with the first voice use
        from rtchat.voice.links import link_for
        from rtchat.voice.session import VoiceSession

        link = link_for(target, protocol, self.settings, session.client_for(target.base_url), session.network, system, hands_free, history)  # Gemini Live takes the system prompt and the turns so far at connect
        voice = VoiceSession(
            link, Capture(source), self.devices.speaker,
            instructions=system, jitter_ms=self.settings.jitter_ms,
            on_state=lambda state: on_change(), on_connection=lambda state: on_change(),
            on_level=self._heard_level, hands_free=hands_free, on_turn=on_turn, tools=tools,
        )
        try:
            await voice.start(open_microphone=True)
        except BaseException:
            await voice.close()
            raise
        self.voice, self.opened_for = voice, (target.ref, protocol)
        return voice

    def problem(self) -> str | None:
        """Why voice cannot run on this machine now (None: it can, or it already does)."""
        return None if self.voice is not None else self.devices.problem()

    def _heard_level(self, dbfs: float) -> None:
        self._peak_dbfs = dbfs if self._peak_dbfs is None else max(self._peak_dbfs, dbfs)

    def take_level(self) -> float | None:
        """The meter's reading: the peak since the last reading, so a 10 Hz redraw misses no syllable."""
        peak, self._peak_dbfs = self._peak_dbfs, None
        if peak is None and self.voice is not None:
            return self.voice.level_dbfs
        return peak

    async def close(self) -> None:
        voice, self.voice, self.opened_for = self.voice, None, None
        if voice is not None:
            await voice.close()


def failure_text(exc: BaseException) -> str:
    """One line for the transcript, whatever stopped voice mode from opening."""
    if isinstance(exc, AudioUnavailable):
        return str(exc)  # already says what to install or plug in
    return f"voice mode could not start: {str(exc).strip() or type(exc).__name__}"

"""Which model, effort and protocol the next turn uses, and the rules for changing them.

Resolving a model may start the loopback server, so `switch` is awaited by a
worker of the app; the status line shows every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import threading

from rtchat.audio.support import AudioUnavailable, load_aiortc
from rtchat.catalog import UnknownProvider, parse_model_ref, protocol_name
from rtchat.config import Config, default_model_ref
from rtchat.events import Error
from rtchat.secrets import has_key
from rtchat.session import Session
from rtchat.target import Target
from rtchat.ui.choices import DEFAULT_EFFORT, initial_protocol, next_effort, next_protocol
from rtchat.ui.controllers.settings import Settings
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.transcript import Transcript

FALLBACK = "loopback/echo"


def _load_webrtc() -> None:
    """aiortc and PyAV (~300 ms, seconds on a loaded machine), loaded in a thread once WebRTC is the
    protocol: the first call would import them on the loop, freezing the screen (and the status
    line's "waiting for the first token") while it did."""
    try:
        load_aiortc()
    except AudioUnavailable:
        pass  # the first call says what is missing


class ModelController:
    def __init__(self, state: ChatState, session: Session, config: Config, settings: Settings, status: StatusLine, transcript: Transcript) -> None:
        self.state = state
        self.session = session
        self.config = config
        self.settings = settings
        self.status = status
        self.transcript = transcript
        self.changed: Callable[[], None] = lambda: None  # told when the model or protocol changes (a share stops)
        self._webrtc_warmed = False  # aiortc is loaded off the loop once WebRTC is chosen

    def initial_ref(self, requested: str | None) -> tuple[str, Error | None]:
        """--model, else the config's default_model, else the model last chosen in the app, else the
        default for the keys at hand; a bad one falls back to the echo model."""
        remembered = self.config.remembered.last_model
        try:
            if requested:
                return str(parse_model_ref(requested)), None
            if not self.config.default_model and isinstance(remembered, str):
                return str(parse_model_ref(remembered)), None
            return str(default_model_ref(self.config, has_key)), None
        except ValueError as exc:
            return FALLBACK, Error("config", f"{exc}; using {FALLBACK}")

    def remember(self, ref: str) -> None:
        """The model chosen in the app is the one the next start-up opens with."""
        self.config.remembered.last_model = ref
        self.settings.save("app.last_model", ref)

    def _warm(self, ref: str) -> None:
        """The slow, blocking part of resolving: the OS keyring's first use (~100 ms) and, for the
        loopback, importing its server (aiohttp, ~150 ms). Run in a thread, so the screen paints meanwhile."""
        try:
            provider = self.config.catalog.provider(parse_model_ref(ref).provider)
        except (UnknownProvider, ValueError):
            return
        if not provider.base_url:
            import rtchat.loopback.server  # noqa: F401, PLC0415 - deferred: the in-process server loads aiohttp (~150 ms), here in a thread
        has_key(provider)

    async def start(self, requested: str | None) -> tuple[str, Error | None]:
        """The model to open with (`initial_ref`, which may ask the keyring), found off the event loop."""
        ref, problem = await asyncio.to_thread(self.initial_ref, requested)
        await asyncio.to_thread(self._warm, ref)
        return ref, problem

    async def switch(self, ref: str, protocol: str | None = None) -> bool:
        """Resolve `ref` and make it current; False when it could not be used and nothing changed."""
        state = self.state
        state.ready.clear()
        await asyncio.to_thread(self._warm, ref)
        try:
            target = await self.session.resolve(ref)
        except (UnknownProvider, ValueError, KeyError) as exc:
            await self.transcript.show_error(Error("config", f"cannot use {ref}: {exc}"))
            if state.target is not None or ref == FALLBACK:
                state.ready.set()
                return False
            target = await self.session.resolve(FALLBACK)
        if state.target is not None and state.target.ref != target.ref:
            self.status.clear_figures()  # the last turn's figures were another model's
        state.target = target
        state.effort = None if target.info.thinking is False else self.session.effort_for(target, None)[0]
        state.protocol = initial_protocol(target.ref, target.info, self.config.protocols, protocol)
        state.ready.set()
        self.show()
        self.changed()
        return True

    def adopt(self, target: Target, protocol: str) -> None:
        """A kept racer's model and protocol answer the next turn (the chosen effort stays, as far
        as they can think); not remembered for the next start, as a ctrl+o or ctrl+n choice is."""
        state = self.state
        if state.target is None or state.target.ref != target.ref:
            state.effort = None if target.info.thinking is False else self.session.effort_for(target, None)[0]
        state.target, state.protocol = target, protocol
        self.show()
        self.changed()

    def show(self) -> None:
        """The model, protocol (and the state of its connection) and the effort the next turn sends."""
        state = self.state
        target = state.target
        if target is None:
            return
        effort = state.effort or DEFAULT_EFFORT
        if effort != "off" and state.protocol != "sse":
            from rtchat.race.effort import can_think  # noqa: PLC0415 - deferred: the socket stack (websockets), which an SSE chat never loads

            if not can_think(target, state.protocol):
                effort = "off"  # a Realtime socket or call carries no reasoning: nothing is sent
        self.status.show(model=target.ref, protocol=state.protocol, effort=effort)
        self.status.watch_connection(self.session.connection_for(target, state.conversation, state.protocol))
        if state.protocol == "webrtc" and not self._webrtc_warmed:
            self._webrtc_warmed = True
            threading.Thread(target=_load_webrtc, name="warm-webrtc", daemon=True).start()

    def cycle_effort(self) -> str | None:
        """The next effort; returns what to tell the user (a short toast)."""
        target = self.state.target
        if target is None:
            return None
        chosen = next_effort(self.state.effort or DEFAULT_EFFORT, target.info)
        self.set_effort(chosen)
        if target.info.thinking is False:
            return f"{target.ref} cannot think: effort stays off"
        if chosen == DEFAULT_EFFORT:
            return "effort default: none is sent, the provider decides"
        return f"effort {chosen}"

    def set_effort(self, chosen: str) -> None:
        """Use effort `chosen` (one of `efforts_for` the model) from the next turn on."""
        self.state.effort = None if chosen == DEFAULT_EFFORT else chosen
        self.show()

    def set_protocol(self, protocol: str) -> str:
        """Use `protocol` from the next turn on, and remember it for this model; returns the toast."""
        if protocol != self.state.protocol:
            self.status.clear_figures()  # the last turn's figures were another protocol's
        self.state.protocol = protocol
        if self.state.target is not None:
            self.config.protocols[self.state.target.ref] = protocol
            self.settings.save(f"protocols.{self.state.target.ref}", protocol)
        self.show()
        self.changed()
        return f"protocol {protocol_name(protocol)}, remembered for {self.state.ref}"

    def cycle_protocol(self, unusable: dict[str, str] | None = None) -> str | None:
        """The next protocol the model supports and this machine can run; returns the toast (None without a model)."""
        if self.state.target is None:
            return None
        return self.set_protocol(next_protocol(self.state.protocol, self.state.target.info, unusable))

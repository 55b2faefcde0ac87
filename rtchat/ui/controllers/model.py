"""Which model, effort and protocol the next turn uses, and the rules for changing them.

Resolving a model may start the loopback server, so `switch` is awaited by a
worker of the app; the status line shows every change.
"""

from __future__ import annotations

from rtchat.catalog import UnknownProvider, parse_model_ref
from rtchat.config import Config, default_model_ref
from rtchat.events import Error
from rtchat.secrets import has_key
from rtchat.session import Session
from rtchat.ui.choices import initial_protocol, next_effort, next_protocol
from rtchat.ui.controllers.settings import Settings
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.transcript import Transcript

FALLBACK = "loopback/echo"


class ModelController:
    def __init__(self, state: ChatState, session: Session, config: Config, settings: Settings, status: StatusLine, transcript: Transcript) -> None:
        self.state = state
        self.session = session
        self.config = config
        self.settings = settings
        self.status = status
        self.transcript = transcript

    def initial_ref(self, requested: str | None) -> tuple[str, Error | None]:
        """--model, else the config's default for the keys at hand; a bad one falls back to the echo model."""
        try:
            return (str(parse_model_ref(requested)) if requested else str(default_model_ref(self.config, has_key))), None
        except ValueError as exc:
            return FALLBACK, Error("config", f"{exc}; using {FALLBACK}")

    async def switch(self, ref: str, protocol: str | None = None) -> bool:
        """Resolve `ref` and make it current; False when it could not be used and nothing changed."""
        state = self.state
        state.ready.clear()
        try:
            target = await self.session.resolve(ref)
        except (UnknownProvider, ValueError, KeyError) as exc:
            await self.transcript.show_error(Error("config", f"cannot use {ref}: {exc}"))
            if state.target is not None or ref == FALLBACK:
                state.ready.set()
                return False
            target = await self.session.resolve(FALLBACK)
        state.target = target
        state.effort = None if target.info.thinking is False else self.session.effort_for(target, None)[0]
        state.protocol = initial_protocol(target.ref, target.info, self.config.protocols, protocol)
        state.ready.set()
        self.show()
        return True

    def show(self) -> None:
        if self.state.target is not None:
            self.status.show(model=self.state.target.ref, protocol=self.state.protocol, effort=self.state.effort or "auto")

    def cycle_effort(self) -> str | None:
        """The next effort; returns a note for the user when the model cannot think."""
        target = self.state.target
        if target is None:
            return None
        self.state.effort = next_effort(self.state.effort or "auto", target.info)
        self.show()
        return f"{target.ref} cannot think: effort stays off" if target.info.thinking is False else None

    def set_protocol(self, protocol: str) -> None:
        """Use `protocol` from the next turn on, and remember it for this model."""
        self.state.protocol = protocol
        if self.state.target is not None:
            self.config.protocols[self.state.target.ref] = protocol
            self.settings.save(f"protocols.{self.state.target.ref}", protocol)
        self.show()

    def cycle_protocol(self) -> bool:
        if self.state.target is None:
            return False
        self.set_protocol(next_protocol(self.state.protocol, self.state.target.info))
        return True

"""Push-to-talk and hands-free: open voice mode on first use, talk, send, barge in.

Terminals send no key-release, so the key toggles: press to talk (stopping a
spoken answer first), press again to send. Hands-free (its own key), the
server hears where speech starts and stops; the talk key then stops an answer. Each sent exchange becomes a
`SpokenTurn` run by the `TurnController` like a typed turn, so the transcript,
the status line and the history treat both alike.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from rtchat.audio.support import webrtc_problem
from rtchat.catalog import protocol_name
from rtchat.events import Done, Error, Notice
from rtchat.session import Session
from rtchat.turns.spoken import SpokenTurn
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.controllers.turns import TurnController
from rtchat.ui.controllers.voice_mode import VoiceMode, failure_text, no_voice_message, voice_protocol_for
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.transcript import Transcript

Spawn = Callable[[Coroutine[Any, Any, None], str], object]  # run a coroutine as a worker of the app, in a group
Notify = Callable[[str], None]


class VoiceController:
    def __init__(
        self,
        state: ChatState,
        session: Session,
        mode: VoiceMode,
        turns: TurnController,
        transcript: Transcript,
        status: StatusLine,
        notify: Notify,
        spawn: Spawn,
        on_change: Callable[[], None],
    ) -> None:
        self.state = state
        self.session = session
        self.mode = mode
        self.turns = turns
        self.transcript = transcript
        self.status = status
        self.notify = notify
        self.spawn = spawn
        self.on_change = on_change  # the voice session's state or connection changed (called from its own callbacks, on the loop)
        # The exchanges the voice events go to, oldest first: hands-free, a barge-in's Done may still be
        # queued when the next speech has already begun its turn.
        self.spoken: deque[SpokenTurn] = deque()
        self.hands_free = False  # the user's choice; kept when voice mode reopens for another model
        self._lock = asyncio.Lock()  # one press, follow or close at a time

    @property
    def current(self):
        """The open rtchat.voice.session.VoiceSession, or None outside voice mode."""
        return self.mode.voice

    # --- the key ------------------------------------------------------------------------------

    async def push_to_talk(self) -> None:
        async with self._lock:
            voice = await self._voice_for_current_model()
            if voice is None:
                return
            from rtchat.voice.ptt import VoiceState  # with voice mode open, its modules are loaded already

            sending = voice.state is VoiceState.LISTENING and not voice.hands_free
            await voice.toggle()
            if sending and voice.state is VoiceState.THINKING and voice.turn is not None and not voice.turn.ended:
                self._begin_spoken(voice, voice.capture.sent_seconds if voice.capture else 0.0)
            self.show()

    async def toggle_hands_free(self) -> None:
        """The mode key: hands-free opens voice mode at once (the microphone must listen); back to push-to-talk keeps it open."""
        async with self._lock:
            self.hands_free = not self.hands_free
            voice = self.current
            if voice is None and self.hands_free:
                voice = await self._voice_for_current_model()
                if voice is None:
                    self.hands_free = False
                    return
            elif voice is not None and voice.link.vad_in_session:
                await voice.set_hands_free(self.hands_free)
            elif voice is not None:  # Gemini Live fixes activity detection at setup: a new session in the new mode
                await self.mode.close()
                if await self._voice_for_current_model() is None:
                    return
            self.notify("hands-free: just speak; the talk key stops an answer" if self.hands_free else "push-to-talk: press the talk key, speak, press it again")
            self.show()

    def _heard_turn(self) -> None:
        """Hands-free: the server heard the end of speech and is answering; show it as a turn."""
        voice = self.current
        if voice is not None and voice.turn is not None and not voice.turn.ended:
            self._begin_spoken(voice, voice.speech_seconds)

    def _begin_spoken(self, voice, seconds: float) -> None:
        # No await before `spoken` is set: the answer's first events must reach it.
        self.turns.tools.approver.begin_turn()  # a new answer: its call ids name its own cards
        spoken = SpokenTurn(voice, self.state.target, self.state.conversation, seconds)
        self.spoken.append(spoken)
        self.spawn(self._run_spoken(spoken), "voice-turns")

    def interrupt(self) -> bool:
        """Ctrl-C while talking: drop what was said. True when there was something to stop."""
        voice = self.current
        if voice is None or voice.state.value != "listening":
            return False
        asyncio.ensure_future(voice.interrupt())
        return True

    def unusable_protocols(self) -> dict[str, str]:
        """For the protocol picker and ctrl+n: protocols that cannot work here, with why
        (WebRTC without aiortc). Cheap: nothing is imported."""
        target = self.state.target
        if target is None or "webrtc" not in target.info.protocols:
            return {}

        missing = webrtc_problem()
        return {"webrtc": missing} if missing else {}

    def partial_protocols(self) -> dict[str, str]:
        """For the picker: WebRTC without PortAudio or a microphone still carries typed text over its
        data channel, so it is offered as text only, with what voice lacks (devices re-scanned)."""
        target = self.state.target
        if target is None or "webrtc" not in target.info.protocols or self.unusable_protocols():
            return {}
        problem = self.mode.problem()
        return {"webrtc": f"text only here; voice: {problem}"} if problem else {}

    async def _voice_for_current_model(self):
        await self.state.ready.wait()
        target = self.state.target
        if target is None:
            return None
        protocol = voice_protocol_for(self.state.protocol, target.info) if target.info.voice else None
        if protocol is None:
            await self.transcript.show_error(Error("voice", no_voice_message(target.ref)))
            return None
        if self.mode.is_open_for(target.ref, protocol):
            return self.current
        self.status.show(voice="opening", voice_link=protocol_name(protocol))
        # The conversation's tools, approved on their cards by key as in a typed turn (nothing spoken approves).
        tools = self._runner(target)
        try:
            voice = await self.mode.open(self.session, target, protocol, self.state.conversation.system, self.on_change, self.hands_free, self._heard_turn, self.state.conversation.messages, tools)
        except Exception as exc:  # missing PortAudio/device/extra, no endpoint, refused: one line, never a traceback
            self.status.show(voice=None, voice_link=None, level_dbfs=None)
            await self.transcript.show_error(Error("voice", failure_text(exc)))
            return None
        self.spawn(self._read_events(voice), "voice-events")
        self.show()  # what the session said while it opened (not yet `current` then)
        if not self.hands_free:  # hands-free says its own line
            self.notify(f"voice mode: {target.ref} over {protocol_name(protocol)}; press the talk key again to send")
        return voice

    async def tools_changed(self) -> None:
        """/tools closed: an open voice session is told the new offer at once (Realtime: a
        `session.update`); Gemini Live fixes tools at setup, so a new session opens, seeded with
        the conversation, as when hands-free is switched there."""
        async with self._lock:
            voice, target = self.current, self.state.target
            if voice is None or target is None:
                return
            if await voice.set_tools(self._runner(target)):
                return
            await self.mode.close()
            if await self._voice_for_current_model() is not None:
                self.notify("the Live session was reopened with the new tools (Live fixes them at setup)")

    def _runner(self, target):
        """The conversation's tools for a spoken exchange now (None: it offers none). Not through
        `runner_for`: that begins a turn, and an answer may still be speaking."""
        tools = self.turns.tools
        if tools.make_runner is None or tools.choices.off:
            return None
        return tools.make_runner(target, "voice", tools.choices, tools.approver)

    def follow_choice(self) -> None:
        """A new model or protocol ends voice mode; the next press opens it for the new choice."""
        target = self.state.target
        if self.current is None or target is None:
            return
        wanted = voice_protocol_for(self.state.protocol, target.info) if target.info.voice else None
        if not self.mode.is_open_for(target.ref, wanted or ""):
            self.status.show(voice=None, voice_link=None, level_dbfs=None, first_audio_ms=None)
            self.spawn(self._close_locked(), "voice")

    async def _close_locked(self) -> None:
        async with self._lock:
            await self.close()

    async def close(self) -> None:
        await self.mode.close()

    # --- the voice session's events -----------------------------------------------------------

    async def _read_events(self, voice) -> None:
        """The one reader of the session's events: each exchange's share goes to its SpokenTurn."""
        async for event in voice.events():
            while self.spoken and self.spoken[0].done:
                self.spoken.popleft()
            spoken = self.spoken[0] if self.spoken else None
            if spoken is not None:
                spoken.feed(event)
                if isinstance(event, Done):
                    self.spoken.popleft()
            elif isinstance(event, Notice):
                await self.transcript.show_notice(event)
            elif isinstance(event, Error):
                await self.transcript.show_error(event)

    async def _run_spoken(self, spoken: SpokenTurn) -> None:
        protocol = self.mode.opened_for[1] if self.mode.opened_for else "voice"
        await self.turns.run_spoken(spoken, protocol)
        self.show()

    # --- the status line ----------------------------------------------------------------------

    def show(self) -> None:
        """Voice state, link, input level and latency; the level meter moves while listening."""
        voice = self.current
        if voice is None:
            return
        state = voice.state.value
        shown = state
        if voice.hands_free:
            shown = "hands-free" if state == "idle" else f"hands-free {state}"
        self.status.show(
            voice=shown,
            voice_link=f"{protocol_name(self.mode.opened_for[1]) if self.mode.opened_for else ''} {voice.connection}",
            level_dbfs=self.mode.take_level() if state == "listening" or (voice.hands_free and state == "idle") else None,
            first_audio_ms=voice.latency.get("first_audio_ms"),
            **({} if self.turns.runner is not None else {"connect_ms": voice.latency.get("connect_ms")}),
        )

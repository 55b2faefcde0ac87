"""The app's push-to-talk: open voice mode on first use, talk, send, barge in.

Terminals send no key-release, so the key toggles: press to talk (stopping a
spoken answer first), press again to send. Each sent exchange becomes a
`SpokenTurn` run by the same `TurnRunner` as typed turns, so the transcript,
the status line and the history treat both alike.
"""

from __future__ import annotations

import asyncio

from textual import work

from rtchat.events import Done, Error, Notice, Transcript
from rtchat.ui.choices import PROTOCOL_NAMES
from rtchat.turns.spoken import SpokenTurn
from rtchat.ui.turn_runner import TurnRunner
from rtchat.ui.voice_mode import VoiceChanged, VoiceMode, failure_text, no_voice_message, voice_protocol_for
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage

class VoiceActions:
    """Mixed into RtChatApp; uses its session, target, protocol, transcript, recorder and observers."""

    voice_mode: VoiceMode
    spoken: SpokenTurn | None = None  # the exchange the voice events go to now
    spoken_view: UserMessage | None = None
    _voice_lock: asyncio.Lock

    @property
    def voice(self):
        return self.voice_mode.voice

    # --- the key ----------------------------------------------------------------------------

    @work(group="voice")
    async def action_push_to_talk(self) -> None:
        async with self._voice_lock:
            voice = await self._voice_for_current_model()
            if voice is None:
                return
            from rtchat.voice.ptt import VoiceState

            sending = voice.state is VoiceState.LISTENING
            await voice.toggle()
            if sending and voice.state is VoiceState.THINKING and voice.turn is not None and not voice.turn.ended:
                # No await before `spoken` is set: the answer's first events must reach it.
                self.spoken = SpokenTurn(voice, self.target, self.conversation, voice.capture.sent_seconds if voice.capture else 0.0)
                self._run_spoken_turn(self.spoken)
            self._show_voice()

    def interrupt_voice(self) -> bool:
        """Ctrl-C while talking: drop what was said. True when there was something to stop."""
        voice = self.voice
        if voice is None or voice.state.value != "listening":
            return False
        asyncio.ensure_future(voice.interrupt())
        return True

    async def _voice_for_current_model(self):
        await self._model_ready.wait()
        target = self.target
        if target is None:
            return None
        protocol = voice_protocol_for(self.protocol, target.info) if target.info.voice else None
        if protocol is None:
            await self.show_error(Error("voice", no_voice_message(target.ref)))
            return None
        if self.voice_mode.is_open_for(target.ref, protocol):
            return self.voice
        self.status.show(voice="opening", voice_link=PROTOCOL_NAMES.get(protocol, protocol))
        try:
            voice = await self.voice_mode.open(self.session, target, protocol, self.conversation.system, self._voice_changed)
        except Exception as exc:  # missing PortAudio/device/extra, no endpoint, refused: one line, never a traceback
            self.status.show(voice=None, voice_link=None, level_dbfs=None)
            await self.show_error(Error("voice", failure_text(exc)))
            return None
        self._read_voice_events(voice)
        self.notify(f"voice mode: {target.ref} over {protocol}; press the talk key again to send", markup=False)
        return voice

    def voice_follows_choice(self) -> None:
        """A new model or protocol ends voice mode; the next press opens it for the new choice."""
        target = self.target
        if self.voice is None or target is None:
            return
        wanted = voice_protocol_for(self.protocol, target.info) if target.info.voice else None
        if not self.voice_mode.is_open_for(target.ref, wanted or ""):
            self.status.show(voice=None, voice_link=None, level_dbfs=None, first_audio_ms=None)
            self._close_voice_later()

    @work(group="voice")
    async def _close_voice_later(self) -> None:
        async with self._voice_lock:
            await self.close_voice()

    def _voice_changed(self) -> None:
        self.post_message(VoiceChanged())

    async def close_voice(self) -> None:
        await self.voice_mode.close()

    # --- the voice session's events -------------------------------------------------------------

    @work(group="voice-events")
    async def _read_voice_events(self, voice) -> None:
        """The one reader of the session's events: each exchange's share goes to its SpokenTurn."""
        async for event in voice.events():
            spoken = self.spoken
            if spoken is not None and not spoken.done:
                spoken.feed(event)
                if isinstance(event, Done):
                    self.spoken = None
            elif isinstance(event, Notice):
                await self.show_notice(event)
            elif isinstance(event, Error):
                await self.show_error(event)

    @work(group="voice-turns")
    async def _run_spoken_turn(self, spoken: SpokenTurn) -> None:
        """Show, record and keep one spoken exchange, as `run_turn` does for a typed one."""
        await self.wait_for_runner()
        target = spoken.target
        self.spoken_view = UserMessage(spoken.placeholder)
        await self.transcript.add(self.spoken_view)
        self.transcript.jump_to_latest()
        self.conversation.add_user(spoken.placeholder)
        self.record_prompt(spoken.placeholder, target.ref, self.voice_mode.opened_for[1])
        view = AssistantMessage(target.ref, streaming=True)
        await self.transcript.add(view)
        self.recorder.begin_answer(target.ref, target.provider.id)
        self.runner = TurnRunner(spoken, view, self, self.observers)
        try:
            message = await self.runner.run()
        finally:
            self.runner = None
            self.recorder.end_answer()
        if message is not None:
            self.conversation.messages.append(message)
        else:
            self.conversation.messages.pop()
        self._show_voice()

    async def show_user_transcript(self, event: Transcript) -> None:
        """What the user said replaces the placeholder, on screen and in the conversation."""
        view = self.spoken_view
        if view is None or not event.text:
            return
        view.set_text(event.text)
        for message in reversed(self.conversation.messages):
            if message.role == "user":
                message.text = event.text
                break

    async def wait_for_runner(self) -> None:
        """Turns never overlap: a new one stops the running one and waits for its Done."""
        if self.runner is not None:
            self.runner.turn.cancel()
        while self.runner is not None:
            await asyncio.sleep(0.01)

    # --- the status line --------------------------------------------------------------------------

    def _show_voice(self) -> None:
        voice = self.voice
        if voice is None:
            return
        state = voice.state.value
        self.status.show(
            voice=state,
            voice_link=f"{PROTOCOL_NAMES.get(self.voice_mode.opened_for[1], '')} {voice.connection}",
            level_dbfs=self.voice_mode.take_level() if state == "listening" else None,
            first_audio_ms=voice.latency.get("first_audio_ms"),
            **({} if self.runner is not None else {"connect_ms": voice.latency.get("connect_ms")}),
        )

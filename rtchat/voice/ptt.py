"""The push-to-talk state machine. Terminals send no key-release, so one key
toggles: press to talk, press again to send. Pure: it returns the actions to
take and the voice session carries them out.

Hands-free mode drives the same states from the server's voice activity
detection instead of the key: speech started -> listening (barging in on an
answer), speech stopped -> thinking; the key then only stops an answer.
"""

from __future__ import annotations

from enum import Enum


class VoiceState(str, Enum):
    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


class Action(str, Enum):
    BARGE_IN = "barge_in"  # stop the answer: cancel, clear server audio, flush, truncate
    CLEAR_INPUT = "clear_input"  # forget audio the server got while nobody was talking
    OPEN_GATE = "open_gate"
    CLOSE_GATE = "close_gate"
    COMMIT = "commit"  # the speech is the turn: the link says so and asks for the answer


class PushToTalk:
    def __init__(self) -> None:
        self.state = VoiceState.IDLE

    def toggle(self) -> list[Action]:
        """The push-to-talk key was pressed."""
        if self.state is VoiceState.LISTENING:
            self.state = VoiceState.THINKING
            return [Action.CLOSE_GATE, Action.COMMIT]
        actions = [Action.BARGE_IN] if self.answering else []
        self.state = VoiceState.LISTENING
        return actions + [Action.CLEAR_INPUT, Action.OPEN_GATE]

    def speech_started(self) -> list[Action]:
        """Hands-free: the server heard the user begin (interrupting any answer)."""
        actions = [Action.BARGE_IN] if self.answering else []
        self.state = VoiceState.LISTENING
        return actions

    def speech_stopped(self) -> list[Action]:
        """Hands-free: the server heard the user stop; it commits and answers by itself."""
        if self.state is VoiceState.LISTENING:
            self.state = VoiceState.THINKING
        return []

    def interrupt(self) -> list[Action]:
        """Ctrl-C: stop a spoken answer (or drop what is being said)."""
        if self.answering:
            self.state = VoiceState.IDLE
            return [Action.BARGE_IN]
        if self.state is VoiceState.LISTENING:
            self.state = VoiceState.IDLE
            return [Action.CLOSE_GATE, Action.CLEAR_INPUT]
        return []

    def abandon(self) -> list[Action]:
        """Talking ended with nothing worth sending: back to idle without a turn."""
        if self.state in (VoiceState.LISTENING, VoiceState.THINKING):
            self.state = VoiceState.IDLE
            return [Action.CLOSE_GATE, Action.CLEAR_INPUT]
        return []

    def audio_started(self) -> None:
        if self.state is VoiceState.THINKING:
            self.state = VoiceState.SPEAKING

    def answer_done(self) -> None:
        if self.answering:
            self.state = VoiceState.IDLE

    @property
    def answering(self) -> bool:
        return self.state in (VoiceState.THINKING, VoiceState.SPEAKING)

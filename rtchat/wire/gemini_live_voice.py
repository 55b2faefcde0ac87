"""Gemini Live as a voice session: the push-to-talk verbs and the voice signals, in Live's own terms.

The voice session speaks in verbs (speech begins, speech ends, barge in) and reads
events; this is what they are on Live, with no other provider's words in between:

  speech begins / barge-in -> `activityStart` (one per user turn; Live's default
                              START_OF_ACTIVITY_INTERRUPTS cuts an answer off and
                              the server says `interrupted`)
  speech ends              -> `activityEnd` (manual activity detection: Live answers
                              by itself)
  tool results             -> `toolResponse` (the answer goes on by itself)

A `toolCall` ends a step, not the answer: the answer is still under way until its
`turnComplete`. A `toolCallCancellation` means the user cut in while the calls ran
(Live's activity handling withdraws them): the answer is over, and hands-free that
is where speech started.

Hands-free, Live's automatic activity detection decides the turns and says nothing
of where speech starts or stops, so they are inferred as a server VAD would say
them: the user's words or an `interrupted` mean speech started; the first of an
answer means it stopped. Activity messages are then not sent (Live refuses them in
that mode). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from rtchat.conversation import ToolResult
from rtchat.events import AudioChunk, Done, Event, Notice, SpeechStarted, SpeechStopped, TextDelta, ToolCallDelta, Transcript, Usage
from rtchat.wire.gemini_live import LiveProtocol, activity_end, activity_start


class LiveVoiceProtocol(LiveProtocol):
    """A Live session with audio answers; `hands_free` is fixed at setup, as Live fixes it."""

    def __init__(self, model: str, system: str | None = None, hands_free: bool = False) -> None:
        super().__init__(model, ["AUDIO"], system, manual_activity=not hands_free)
        self.hands_free = hands_free
        self.active = False  # an activity (the user's turn) is open on the server
        self.answering = False  # the user's turn ended and its answer has not (a goAway resumes only between answers)
        self.hearing = False  # hands-free: the user is speaking, as far as we can tell
        self._heard: list[Event] = []  # hands-free: the user's words, held until their turn begins
        self._usage: Usage | None = None  # held until the answer's end, where the session reads it
        self.sent_log: list[str] = []  # the kinds of message sent after each setup, in order (for logs and tests)

    def send(self, payload: dict) -> None:
        kind = message_kind(payload)
        if kind != "setup":
            self.sent_log.append(kind)
        super().send(payload)

    @property
    def response_active(self) -> bool:
        return self.answering

    @property
    def announced_dialect(self) -> str:
        return "live"  # nothing to wait for: Live has one dialect

    # ---- the session's verbs

    def send_voice_setup(self, modalities: list[str], instructions: str | None, transcribe: bool, vad: str | None) -> None:
        """Nothing to send: Live fixed instructions and activity detection at `setup`."""

    def send_vad(self, vad: str | None) -> None:
        """Nothing to send: switching modes opens a new Live session."""

    def send_clear_input(self) -> None:
        """Live keeps no input buffer between activities."""

    def send_speech_begins(self) -> None:
        if self.hands_free or self.active:
            return  # the server's detection has the turns; or one activity per turn (a press after a barge-in keeps it)
        self.active = True
        self.send(activity_start())

    def send_speech_ends(self) -> None:
        if self.hands_free:
            return
        self.active = False
        self.answering = True
        self.send(activity_end())

    def send_barge_in(self, heard_ms: int | None, webrtc: bool = False) -> None:
        """An activity start cuts the answer off; Live keeps what was said, so nothing to truncate."""
        self.send_speech_begins()

    def send_tool_results(self, results: Sequence[ToolResult]) -> bool:
        """The step's results in one `toolResponse`; the model then goes on speaking."""
        sent = super().send_tool_results(results)
        self.answering = sent
        return sent

    # ---- received

    def receive_data(self, data: str | bytes) -> None:
        withdrawn, going_away = len(self.decoder.cancelled), self.going_away
        super().receive_data(data)
        if self.going_away and not going_away:  # goAway's notice: the link resumes the session quietly when the socket closes
            self._events = [event for event in self._events if not (isinstance(event, Notice) and event.level == "info")]
        self._events = [signal for event in self._events for signal in self._voice(event)]
        if len(self.decoder.cancelled) > withdrawn:
            self._events += self._calls_withdrawn()

    def _calls_withdrawn(self) -> list[Event]:
        """The user cut in while the calls ran: the answer is over; hands-free, speech started."""
        self.answering = False
        if not self.hands_free or self.hearing:
            return []
        self.hearing = True
        return [SpeechStarted()]

    def _voice(self, event: Event) -> list[Event]:
        if isinstance(event, Transcript) and event.role == "user" and not event.final:
            event = Transcript("user", event.text, final=True)  # Live says the words of a speech as they are settled
        if isinstance(event, Usage):
            self._usage = event
            return []
        if isinstance(event, Done):
            self.answering = event.reason == "tool_use"  # a step's end: the answer goes on after the results
            usage, self._usage = self._usage, None
            ended = ([usage] if usage else []) + [event]
        else:
            ended = [event]
        if not self.hands_free:
            return ended
        user_words = isinstance(event, Transcript) and event.role == "user"
        if user_words or isinstance(event, Done) and event.reason == "interrupted":
            started: list[Event] = [] if self.hearing else [SpeechStarted()]
            self.hearing = True
            if user_words:  # held until the turn they belong to begins
                self._heard += ended
                return started
            return ended + started
        answer_part = isinstance(event, (AudioChunk, TextDelta, ToolCallDelta)) or isinstance(event, Transcript) and event.role == "assistant"
        if answer_part and not self.answering:
            self.answering = True
            begun: list[Event] = [] if self.hearing else [SpeechStarted()]
            heard, self._heard, self.hearing = self._heard, [], False
            return begun + [SpeechStopped()] + heard + ended
        return ended


def message_kind(message: dict) -> str:
    """`setup`, `audio`, `activityStart`, `activityEnd`...: what a client message is, for logs and tests."""
    inner = message.get("realtimeInput")
    return next(iter(inner), "realtimeInput") if isinstance(inner, dict) else next(iter(message), "empty")

"""Gemini Live spoken in the voice session's (OpenAI Realtime) event dialect.

`VoiceSession` drives push-to-talk with Realtime client events and reads
Realtime server events. Rather than a second session, the Gemini link
translates at the edge, both ways:

  press (`input_audio_buffer.clear`)  -> `activityStart`
  barge-in (`response.cancel`)        -> `activityStart` (Live's default
                                         START_OF_ACTIVITY_INTERRUPTS cuts the
                                         answer off; the server says `interrupted`)
  release (`input_audio_buffer.commit`) -> `activityEnd` (manual activity
                                         detection: Live answers by itself)

and Live's `serverContent` (answer audio, transcriptions, `turnComplete`,
`interrupted`) becomes `response.output_audio.delta`, transcript and
`response.done` events.

Hands-free, Live's automatic activity detection decides the turns and says
nothing of where speech starts or stops, so the dialect infers it as Realtime's
server VAD would say it: the user's words or an `interrupted` mean speech
started; the first of an answer means it stopped. Our activity and cancel
events are then not sent (Live refuses activity messages in that mode). Parsing and the session (setup, resumption) stay in
rtchat.wire.gemini_live's `LiveProtocol`. Pure: no I/O.
"""

from __future__ import annotations

import base64
from typing import Any

from rtchat.events import AudioChunk, Done, Event, Notice, TextDelta, Transcript, Usage
from rtchat.wire import gemini_live as live

DONE_STATUS = {"complete": "completed", "interrupted": "cancelled"}


class LiveDialect:
    """Realtime client events -> Live messages; Live server frames -> Realtime events."""

    def __init__(self, hands_free: bool = False) -> None:
        self.hands_free = hands_free
        self.hearing = False  # hands-free: the user is speaking (as far as we can tell)
        self._heard: list[dict] = []  # hands-free: the user's words, until their turn begins
        self.active = False  # an activity (the user's turn) is open on the server
        self.answering = False  # the user's turn ended and its answer has not (goAway resumes only between answers)
        self.usage: Usage | None = None

    # ---------------------------------------------------------------- ours -> Live

    def to_live(self, event: dict) -> list[dict]:
        kind = event.get("type")
        if self.hands_free:
            return []  # the server's activity detection has the turns
        if kind in ("input_audio_buffer.clear", "response.cancel"):
            if self.active:
                return []  # one activity per turn: a press after a barge-in keeps the open one
            self.active = True
            return [live.activity_start()]
        if kind == "input_audio_buffer.commit":
            self.active = False
            self.answering = True
            return [live.activity_end()]
        return []  # session.update, response.create, truncate: Live has no counterpart

    # ---------------------------------------------------------------- Live -> ours

    def from_events(self, events: list[Event]) -> list[dict]:
        """What `LiveProtocol` made of a frame, as the session's events."""
        return [translated for event in events for translated in self._translate(event)]

    def _translate(self, event: Event) -> list[dict]:
        translated = self._translate_content(event)
        if not self.hands_free:
            return translated
        user_words = isinstance(event, Transcript) and event.role == "user"
        if user_words or isinstance(event, Done) and event.reason == "interrupted":
            started = [] if self.hearing else [{"type": "input_audio_buffer.speech_started"}]
            self.hearing = True
            if user_words:  # held until the turn they belong to begins
                self._heard += translated
                return started
            return translated + started
        if isinstance(event, (AudioChunk, TextDelta)) or isinstance(event, Transcript) and event.role == "assistant":
            if not self.answering:
                self.answering = True
                begun = [] if self.hearing else [{"type": "input_audio_buffer.speech_started"}]
                heard, self._heard, self.hearing = self._heard, [], False
                return begun + [{"type": "input_audio_buffer.speech_stopped"}] + heard + [{"type": "response.created"}] + translated
        return translated

    def _translate_content(self, event: Event) -> list[dict]:
        if isinstance(event, AudioChunk):
            return [{"type": "response.output_audio.delta", "delta": base64.b64encode(event.pcm).decode("ascii")}]
        if isinstance(event, Transcript):
            if event.role == "user":
                return [{"type": "conversation.item.input_audio_transcription.completed", "transcript": event.text}]
            return [{"type": "response.output_audio_transcript.delta", "delta": event.text}]
        if isinstance(event, TextDelta):
            return [{"type": "response.output_text.delta", "delta": event.text}]
        if isinstance(event, Usage):
            self.usage = event
            return []
        if isinstance(event, Done):
            self.answering = False
            return [self._response_done(event.reason)]
        if isinstance(event, Notice) and event.level == "warning":
            return [{"type": "rtchat.malformed"}]
        return []  # goAway's notice: the link resumes the session when the socket closes

    def _response_done(self, reason: str) -> dict:
        response: dict[str, Any] = {"status": DONE_STATUS.get(reason, reason)}
        usage, self.usage = self.usage, None
        if usage is not None:
            response["usage"] = {
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "input_token_details": {"cached_tokens": usage.cached_tokens},
            }
        return {"type": "response.done", "response": response}


def closed_event(code: int | None, reason: str) -> dict | None:
    """Live reports errors as close frames: one `error` event says why, before the link closes."""
    if code in (None, 1000):
        return None
    return {"type": "error", "error": {"code": f"close {code}", "message": reason or "no reason given"}}


def message_kind(message: dict) -> str:
    """`setup`, `audio`, `activityStart`, `activityEnd`...: what a client message is, for logs and tests."""
    inner = message.get("realtimeInput")
    return next(iter(inner), "realtimeInput") if isinstance(inner, dict) else next(iter(message), "empty")

"""The one place a turn's events are consumed by the app.

Everything that must see every event of a turn (the transcript, the status
line, the history store via `observers`) is driven from `TurnRunner.run`.
Spoken turns (rtchat.ui.spoken_turn) go through the same runner, so a voice
answer is shown, measured and stored exactly like a typed one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from rtchat.conversation import ChatMessage, ThinkingBlock
from rtchat.events import (
    Done,
    Error,
    Event,
    Metrics,
    Notice,
    RedactedThinking,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    Transcript,
    Usage,
)
from rtchat.session import Turn
from rtchat.ui.live_figures import LiveFigures
from rtchat.ui.widgets.messages import AssistantMessage

FRAME_SECONDS = 1 / 25  # deltas are coalesced and painted at most this often

Observer = Callable[[Event], None]


class TurnHost(Protocol):
    """What the runner needs from the app around it."""

    def set_interval(self, interval: float, callback, *, name: str | None = None): ...
    async def show_error(self, error: Error) -> None: ...
    async def show_notice(self, notice: Notice) -> None: ...
    def turn_progress(self, state: str, turn: Turn) -> None: ...
    async def show_user_transcript(self, event: Transcript) -> None: ...


class TurnRunner:
    """Feeds one streaming answer into its widget and builds the message kept in the conversation."""

    def __init__(self, turn: Turn, view: AssistantMessage, host: TurnHost, observers: list[Observer] | None = None) -> None:
        self.turn = turn
        self.view = view
        self.host = host
        self.observers = list(observers or [])  # e.g. the history store's writer.apply
        self.text_parts: list[str] = []
        self.thinking = ThinkingBlock(provider=turn.target.provider.id)
        self.reason = "error"
        self.error: Error | None = None
        self.metrics: Metrics | None = None
        stats = getattr(turn, "stats", None)
        self.figures = LiveFigures(started=getattr(stats, "started", None) or time.perf_counter())

    async def run(self) -> ChatMessage | None:
        """Stream to the end (or cancellation); return the assistant message to append, if any."""
        timer = self.host.set_interval(FRAME_SECONDS, self.view.flush, name="answer-frame")
        self.host.turn_progress(getattr(self.turn, "opening_state", "connecting"), self.turn)
        try:
            async for event in self.turn.events():
                self.figures.observe(event)
                for observe in self.observers:
                    observe(event)
                await self._apply(event)
        finally:
            timer.stop()
            await self.view.finish(self.reason)
            self.host.turn_progress(self.reason if self.reason != "complete" else "done", self.turn)
        return self.message()

    async def _apply(self, event: Event) -> None:
        view = self.view
        if isinstance(event, TextDelta):
            self.text_parts.append(event.text)
            view.append_text(event.text)
            self.host.turn_progress("streaming", self.turn)
        elif isinstance(event, Transcript):
            await self._apply_transcript(event)
        elif isinstance(event, ThinkingDelta):
            self.thinking.text += event.text
            view.append_thinking(event.text)
            self.host.turn_progress("thinking", self.turn)
        elif isinstance(event, ThinkingSignature):
            self.thinking.signature = event.signature
        elif isinstance(event, RedactedThinking):
            self.thinking.redacted = event.data
            view.mark_redacted()
        elif isinstance(event, Usage):
            view.set_usage(event)
        elif isinstance(event, Notice):
            await self.host.show_notice(event)
        elif isinstance(event, Error):
            self.error = event
            await self.host.show_error(event)
        elif isinstance(event, Metrics):
            self.metrics = event
        elif isinstance(event, Done):
            self.reason = event.reason

    async def _apply_transcript(self, event: Transcript) -> None:
        """A spoken answer's words stream like text; what the user said replaces their placeholder."""
        if event.role == "user":
            await self.host.show_user_transcript(event)
            return
        if event.final and "".join(self.text_parts) == event.text:
            return  # a final transcript repeating what already streamed
        self.text_parts.append(event.text)
        self.view.append_text(event.text)
        self.host.turn_progress("streaming", self.turn)

    def message(self) -> ChatMessage | None:
        text = "".join(self.text_parts)
        has_thinking = bool(self.thinking.text or self.thinking.redacted)
        if not text and not has_thinking:
            return None
        return ChatMessage("assistant", text, [self.thinking] if has_thinking else [])

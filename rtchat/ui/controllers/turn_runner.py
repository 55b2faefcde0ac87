"""The one place a turn's events are consumed by the app.

The transcript and the status line see every event of a turn here, handed over
by the `TurnService` (rtchat/run.py), which also records the turn's answer.
Its host is the `TurnController`, which owns the one running turn.
Spoken turns go through the same runner, so a voice answer is shown, measured
and stored exactly like a typed one. The answer kept in the conversation is the
turn's own fold (`turn.answer()`): what was shown is what is sent back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from rtchat.answer import Answer
from rtchat.events import (
    Done,
    Error,
    Event,
    Metrics,
    Notice,
    RedactedThinking,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallRequest,
    ToolCallResult,
    Transcript,
    Usage,
)
from rtchat.run import TurnService
from rtchat.store import Parent
from rtchat.turns.base import Turn, TurnPhase
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from rtchat.ui.widgets.transcript.tool_card import ToolCard

FRAME_SECONDS = 1 / 25  # deltas are coalesced and painted at most this often
YIELD_SECONDS = 0.001  # a burst of queued events is applied in slices this long, so keys and Ctrl-C get in between

TOOL_CALL = "tool call"  # the status line's state while the model's calls are shown, asked and run
Observer = Callable[[Event], None]
UserWords = Callable[[str], None]  # what the user said, for a spoken turn's placeholder


class Timer(Protocol):
    def stop(self) -> None: ...


class TurnHost(Protocol):
    """What the runner needs around it: a frame timer, the transcript's inline messages, the status line."""

    def every(self, seconds: float, callback: Callable[[], object]) -> Timer: ...
    async def show_error(self, error: Error) -> None: ...
    async def show_notice(self, notice: Notice) -> None: ...
    def turn_progress(self, state: str, turn: Turn) -> None: ...
    def tool_card_shown(self, card: ToolCard) -> None: ...
    def tool_finished(self, turn: Turn) -> None: ...


class TurnRunner:
    """Feeds one streaming answer into its widget; the answer itself is the turn's fold."""

    def __init__(
        self, turn: Turn, view: AssistantMessage, host: TurnHost, observers: list[Observer] | None = None, on_user_words: UserWords | None = None
    ) -> None:
        self.turn = turn
        self.view = view
        self.host = host
        self.observers = list(observers or [])
        self.on_user_words = on_user_words
        view.follow(turn.answer)  # the widget draws thinking from the turn's own blocks
        self.reason = "error"
        self._shown_transcript = ""  # the spoken answer's words already painted

    async def run(self, service: TurnService, parent: Parent) -> Answer:
        """Stream to the end (or cancellation) through the service, which records the answer."""
        timer = self.host.every(FRAME_SECONDS, self.view.flush)
        self.host.turn_progress(self.turn.state.value, self.turn)
        self._slice_started = time.perf_counter()
        try:
            return await service.run(self.turn, self._show, parent)
        finally:
            timer.stop()
            await self.view.finish(self.reason)
            self.host.turn_progress(self.reason if self.reason != "complete" else TurnPhase.DONE.value, self.turn)

    async def _show(self, event: Event) -> None:
        for observe in self.observers:
            observe(event)
        await self._apply(event)
        if time.perf_counter() - self._slice_started > YIELD_SECONDS:
            await asyncio.sleep(0)  # a queue that is never empty never suspends the loop
            self._slice_started = time.perf_counter()

    async def _apply(self, event: Event) -> None:
        view = self.view
        if isinstance(event, TextDelta):
            view.append_text(event.text)
            self.host.turn_progress(TurnPhase.STREAMING.value, self.turn)
            await view.keep_up(lambda: self.turn.state is TurnPhase.STOPPING)  # Ctrl-C stops the wait
        elif isinstance(event, Transcript):
            await self._apply_transcript(event)
        elif isinstance(event, ThinkingDelta):
            view.thinking_grew()
            self.host.turn_progress(TurnPhase.THINKING.value, self.turn)
        elif isinstance(event, RedactedThinking):
            view.thinking_grew(delta=False)
        elif isinstance(event, ToolCallDelta):
            self.host.tool_card_shown(await view.tool_delta(event))
            self.host.turn_progress(TOOL_CALL, self.turn)
        elif isinstance(event, ToolCallRequest):
            self.host.tool_card_shown(await view.tool_requested(event))
            self.host.turn_progress(TOOL_CALL, self.turn)
        elif isinstance(event, ToolCallResult):
            view.tool_result(event)
            self.host.tool_finished(self.turn)
        elif isinstance(event, Usage):
            view.set_usage(event)
        elif isinstance(event, Metrics):
            view.set_thinking_time(event.thinking_ms)  # the turn's clock, as the history keeps it
        elif isinstance(event, Notice):
            await self.host.show_notice(event)
        elif isinstance(event, Error):
            await self.host.show_error(event)
        elif isinstance(event, Done):
            self.reason = event.reason

    async def _apply_transcript(self, event: Transcript) -> None:
        """A spoken answer's words stream like text; what the user said replaces their placeholder."""
        if event.role == "user":
            words = self.turn.answer().user_transcript  # deltas as recognised, then the whole
            if words and self.on_user_words is not None:
                self.on_user_words(words)
            return
        words = self.turn.answer().transcript  # the fold already took this event
        if words.startswith(self._shown_transcript):
            new = words[len(self._shown_transcript):]
        else:
            new = event.text  # a correction that does not extend what was shown: add it as it came
        self._shown_transcript = words
        if new:
            self.view.append_text(new)
            self.host.turn_progress(TurnPhase.STREAMING.value, self.turn)

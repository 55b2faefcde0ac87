"""One spoken exchange shaped like any other turn, so the app shows, measures and stores it alike.

A voice session yields one endless stream of events for the whole voice mode;
the app hands each exchange's share of it (up to its `Done`) to a SpokenTurn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rtchat.events import Done, Event, Metrics
from rtchat.conversation import Conversation
from rtchat.target import Target
from rtchat.turns.base import QueuedTurn, TurnPhase


class SpokenTurn(QueuedTurn):
    protocol = "voice"
    opening_phase = TurnPhase.THINKING  # the request is already out when the runner starts

    def __init__(self, voice: Any, target: Target, conversation: Conversation, spoken_seconds: float) -> None:
        super().__init__(target, conversation)
        self.voice = voice
        self.spoken_seconds = spoken_seconds
        self.clock.connect_ms = voice.latency.get("connect_ms")
        if voice.turn is not None:
            self.clock.started = voice.turn.released_at  # figures count from "press to send"

    @property
    def placeholder(self) -> str:
        """What the transcript and the history show until the words of the speech arrive."""
        return f"[spoken, {self.spoken_seconds:.1f} s]"

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    def feed(self, event: Event) -> None:
        """Called by the app's one reader of the voice session's events."""
        if isinstance(event, Metrics):
            return  # the turn's own clock makes the figures, as for every other turn
        if isinstance(event, Done):
            self.finish(event)
        else:
            self.put(event)

    async def _produce(self) -> None:
        await self.finished.wait()

    def _cancel_sent(self) -> None:
        """Ctrl-C or a typed message: stop the spoken answer as a barge-in does."""
        asyncio.ensure_future(self.voice.interrupt())

"""One spoken exchange shaped like any other turn, so the app shows, measures and stores it alike.

A voice session yields one endless stream of events for the whole voice mode;
the app (and `ask --audio-in`) hands each exchange's share of it (up to its `Done`)
to a SpokenTurn. The turn's clock is the exchange's own (`voice.turn.clock`): it
starts when the speech was sent, the session stamps the first sound of the answer
on it, and the queue stamps the answer's words, so TTFT is "first answer event" as
for every turn and the voice figures come from the same clock.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rtchat.events import Done, Event
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
        if voice.turn is not None:
            self.clock = voice.turn.clock  # figures count from "press to send"
        self.clock.connect_ms = voice.latency.get("connect_ms")

    @property
    def placeholder(self) -> str:
        """What the transcript and the history show until the words of the speech arrive."""
        return f"[spoken, {self.spoken_seconds:.1f} s]"

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    def feed(self, event: Event) -> None:
        """Called by the one reader of the voice session's events."""
        if isinstance(event, Done):
            self.finish(event)
        else:
            self.put(event)

    async def _produce(self) -> None:
        await self.finished.wait()

    def _cancel_sent(self) -> None:
        """Ctrl-C or a typed message: stop the spoken answer as a barge-in does."""
        asyncio.ensure_future(self.voice.interrupt())

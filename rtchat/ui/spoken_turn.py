"""One spoken exchange shaped like a text `Turn`, so `TurnRunner` can drive it.

A `VoiceSession` yields one endless stream of events for the whole voice
mode; the app hands each exchange's share of it (up to its `Done`) to a
SpokenTurn, and the runner shows, measures and records it through the same
observers (the history store first) as a typed turn.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rtchat.events import Done, Event
from rtchat.session import Target, TurnStats


class SpokenTurn:
    opening_state = "thinking"  # the request is already out when the runner starts

    def __init__(self, voice: Any, target: Target, spoken_seconds: float) -> None:
        self.voice = voice
        self.target = target
        self.effort: str | None = None
        self.spoken_seconds = spoken_seconds
        turn = voice.turn
        self.stats = TurnStats(connect_ms=voice.latency.get("connect_ms"))
        if turn is not None:
            self.stats.started = turn.released_at  # figures count from "press to send"
        self.cancel_requested_at: float | None = None
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self.done = False

    @property
    def placeholder(self) -> str:
        """What the transcript and the history show until the words of the speech arrive."""
        return f"[spoken, {self.spoken_seconds:.1f} s]"

    def put(self, event: Event) -> None:
        """Called by the app's one reader of the voice session's events."""
        if isinstance(event, Done):
            self.done = True
        self._events.put_nowait(event)

    async def events(self):
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, Done):
                return

    def cancel(self) -> None:
        """Ctrl-C or a typed message: stop the spoken answer as a barge-in does."""
        if not self.done:
            self.cancel_requested_at = time.perf_counter()
            asyncio.ensure_future(self.voice.interrupt())

"""Runs every lane of a race at once and marks the first to answer and the first to finish.

Targets are resolved first, then every turn is made in one go and driven
together, so no lane's clock starts while another is still being set up.
Each lane gets its own copy of the conversation: live sockets and WebRTC calls
are pooled per conversation, and racers must not share (or queue on) one.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Sequence

from rtchat.conversation import Conversation
from rtchat.events import Event
from rtchat.metrics import is_token
from rtchat.race.lane import FINISHED, Lane
from rtchat.race.targets import RaceSpec
from rtchat.session import Session

Watcher = Callable[[Lane, Event], None]


class Race:
    """`await race.run(watch)` drives every lane; `race.cancel()` stops them all (each keeps its partial answer)."""

    def __init__(self, session: Session, specs: Sequence[RaceSpec], conversation: Conversation, prompt: str, effort: str | None = None) -> None:
        self.session = session
        self.prompt = prompt
        self.conversation = conversation  # the context before the prompt; never changed here
        self.effort = effort
        self.lanes = [Lane(spec) for spec in specs]
        self.cancelled = False
        self.done = asyncio.Event()

    async def prepare(self) -> None:
        """Resolve every target and make every turn; a target that cannot be resolved is a lane with an error."""
        targets = []
        for lane in self.lanes:
            try:
                targets.append(await self.session.resolve(lane.spec.model))
            except (ValueError, LookupError) as exc:
                targets.append(None)
                lane.error, lane.reason = str(exc), "error"
        for lane, target in zip(self.lanes, targets):
            if target is not None:
                own = copy.deepcopy(self.conversation)
                own.add_user(self.prompt)
                lane.turn = self.session.turn(target, own, self.effort, protocol=lane.spec.protocol)

    async def run(self, watch: Watcher | None = None) -> list[Lane]:
        """Drive every lane to its end; `watch(lane, event)` sees each event as it is shown."""
        if not any(lane.turn for lane in self.lanes):
            await self.prepare()
        start = time.perf_counter()
        for lane in self.lanes:
            if lane.turn is not None:
                # One start for all: turns are made one after another (the first socket turn loads
                # the socket stack), and a lane must not lose the race for being made last.
                lane.turn.count_from(start)
        try:
            await asyncio.gather(*(self._drive(lane, watch) for lane in self.lanes if lane.turn is not None))
        finally:
            self.done.set()
        return self.lanes

    async def _drive(self, lane: Lane, watch: Watcher | None) -> None:
        assert lane.turn is not None
        async for event in lane.turn.events():
            lane.record(event)
            if is_token(event) and not any(other.first_answer for other in self.lanes):
                lane.first_answer = True
            if lane.reason in FINISHED and not any(other.first_finish for other in self.lanes):
                lane.first_finish = True
            if watch is not None:
                watch(lane, event)

    def cancel(self) -> None:
        """Ctrl-C: stop every lane at once."""
        self.cancelled = True
        for lane in self.lanes:
            if lane.turn is not None:
                lane.turn.cancel()

    def to_json(self) -> dict:
        return {"prompt": self.prompt, "targets": [lane.to_json() for lane in self.lanes]}

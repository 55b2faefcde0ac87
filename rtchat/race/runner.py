"""Runs every lane of a race at once and marks the first to answer and the first to finish.

Targets are resolved first (which starts the in-process loopback), every turn is
made, and every WebSocket and WebRTC lane opens its connection before the common
start: all lanes share one event loop, and a WebRTC call's set-up (aiortc's import,
its certificates, the loopback's peer) holds that loop for a second, which would
land in every other lane's connect and TTFT. Each lane's set-up time is kept
apart (`Lane.setup_ms`), so the race compares answers over ready connections and
still says what opening each one cost.
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
from rtchat.race.effort import equal_effort
from rtchat.race.lane import COVERS, FINISHED, Lane
from rtchat.race.targets import RaceSpec
from rtchat.session import Session
from rtchat.transports.websocket import SocketFailure

Watcher = Callable[[Lane, Event], None]


class Race:
    """`await race.run(watch)` drives every lane; `race.cancel()` stops them all (each keeps its partial answer)."""

    def __init__(self, session: Session, specs: Sequence[RaceSpec], conversation: Conversation, prompt: str, effort: str | None = None) -> None:
        self.session = session
        self.prompt = prompt
        self.conversation = conversation  # the context before the prompt; never changed here
        self.effort = effort  # after prepare(): the one effort every lane was sent
        self.effort_note: str | None = None  # why that effort, when it is not the one asked for
        self.lanes = [Lane(spec) for spec in specs]
        self.cancelled = False
        self.prepared = False
        self.done = asyncio.Event()

    async def prepare(self) -> None:
        """Resolve every target, make every turn and open every socket or call (once; `run` calls it if
        nobody did). A target that cannot be resolved, or a connection that cannot open, is a lane with an error."""
        if self.prepared:
            return
        self.prepared = True
        targets = []
        for lane in self.lanes:
            try:
                targets.append(await self.session.resolve(lane.spec.model))
            except (ValueError, LookupError) as exc:
                targets.append(None)
                lane.error, lane.reason = str(exc), "error"
        lanes = [(lane, target) for lane, target in zip(self.lanes, targets) if target is not None]
        self.effort, self.effort_note = equal_effort(self.effort, [(target, lane.spec.protocol) for lane, target in lanes])
        for lane, target in lanes:
            own = copy.deepcopy(self.conversation)
            own.add_user(self.prompt)
            lane.turn = self.session.turn(target, own, self.effort, protocol=lane.spec.protocol)
        for lane in self.lanes:
            if not self.cancelled:  # Ctrl-C while a call is being set up: open nothing more
                await self._open(lane)

    async def _open(self, lane: Lane) -> None:
        """Open a socket or call lane's connection now, before the clocks, and keep what that took."""
        if lane.turn is None:
            return
        connection = self.session.connection_for(lane.turn.target, lane.turn.conversation, lane.spec.protocol)
        if connection is None:
            return
        connection.system = lane.turn.conversation.system  # the handshake carries it; otherwise the turn reopens
        try:
            lane.setup_ms = round(await connection.ensure_open(), 2)
        except SocketFailure as exc:  # said in its column; the lane is not driven (its turn would try again)
            lane.error, lane.reason = exc.error.message, "error"

    async def run(self, watch: Watcher | None = None) -> list[Lane]:
        """Drive every lane to its end; `watch(lane, event)` sees each event as it is shown."""
        await self.prepare()
        start = time.perf_counter()
        for lane in self.lanes:
            if lane.turn is not None:
                # One start for all: turns are made one after another (the first socket turn loads
                # the socket stack), and a lane must not lose the race for being made last.
                lane.turn.count_from(start)
        try:
            await asyncio.gather(*(self._drive(lane, watch) for lane in self.lanes if lane.turn is not None and lane.running))
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
        return {
            "prompt": self.prompt,
            "effort": self.effort,
            "effort_note": self.effort_note,
            "figures_cover": COVERS,
            "targets": [lane.to_json() for lane in self.lanes],
        }

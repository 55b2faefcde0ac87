"""The bounded queue between a turn's producer (a stream or socket reader) and its consumer (the screen).

Why bounded: a server can send far faster than a screen shows, and an
unbounded queue held hundreds of megabytes of answer nobody had seen yet. Two
rules keep it small without slowing the interrupt:

- a producer that can wait (the HTTP stream reader) waits for room
  (`room_wait`) once `limit` events are queued: backpressure to the socket;
- a producer that cannot wait (a socket's frame callback, voice) never blocks:
  once `merge_at` items are queued, a text or thinking piece joins the run of
  the same kind at the tail instead of adding an item, so the item count stays
  bounded and the pieces are joined once, when handed out.

A merged piece still counts as one event towards `limit`.

The total size of the answer is bounded elsewhere (the turn's answer cap).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Iterator
from typing import Any

from rtchat.events import TextDelta, ThinkingDelta

QUEUE_LIMIT = 256  # items queued before a waiting producer waits
MERGE_AT = 64  # items queued before pieces of text merge at the tail
MERGEABLE = (TextDelta, ThinkingDelta)


class _Run:
    """Consecutive pieces of one kind, joined only when handed out (no quadratic copying)."""

    __slots__ = ("kind", "pieces")

    def __init__(self, first: TextDelta | ThinkingDelta) -> None:
        self.kind = type(first)
        self.pieces = [first.text]

    def event(self) -> TextDelta | ThinkingDelta:
        return self.kind("".join(self.pieces))


class TurnQueue:
    """FIFO of a turn's events; see the module docstring for why it is bounded."""

    def __init__(self, limit: int = QUEUE_LIMIT, merge_at: int = MERGE_AT) -> None:
        self._items: deque[Any] = deque()
        self._events = 0  # events queued, merged pieces each counted
        self._limit = limit
        self._merge_at = merge_at
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.holding = False  # a producer is waiting for room right now

    def __len__(self) -> int:
        return self._events

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        """Queue one item; never blocks (pieces of text merge at the tail when the queue is long)."""
        items = self._items
        self._events += 1
        if self._events >= self._limit:
            self._room.clear()
        if isinstance(item, MERGEABLE) and len(items) >= self._merge_at:
            last = items[-1]
            if isinstance(last, _Run) and last.kind is type(item):
                last.pieces.append(item.text)
                return
            if type(last) is type(item):
                items[-1] = run = _Run(last)
                run.pieces.append(item.text)
                return
        items.append(item)
        self._readable.set()

    def room_wait(self) -> Awaitable[None] | None:
        """None while there is room; else an awaitable that ends once the consumer has caught up."""
        return None if self._room.is_set() else self._wait_for_room()

    async def _wait_for_room(self) -> None:
        self.holding = True
        try:
            await self._room.wait()
        finally:
            self.holding = False

    def pending(self) -> Iterator[Any]:
        """The items queued and not yet handed out, in order (a merged run as one piece); nothing is taken."""
        for item in self._items:
            yield item.event() if isinstance(item, _Run) else item

    async def get(self) -> Any:
        while not self._items:
            self._readable.clear()
            await self._readable.wait()
        item = self._items.popleft()
        self._events -= len(item.pieces) if isinstance(item, _Run) else 1
        if self._events < self._limit // 2:
            self._room.set()
        return item.event() if isinstance(item, _Run) else item

    def release(self) -> None:
        """Let a waiting producer go without reading (the consumer left, or the turn ended)."""
        self._room.set()

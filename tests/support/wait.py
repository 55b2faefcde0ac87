"""Waiting on a state that has no event to await, with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], within: float = 20.0, what: str = "") -> None:
    """Check `condition` on the event loop until it holds; AssertionError after `within` s.
    The deadline only stops a hang: it is generous, since a loaded machine is slow, not wrong.

    For state that changes on the far side of a socket or in a background task and
    offers nothing to await (the loopback learns of a hang-up a moment later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what or condition}")
        await asyncio.sleep(0.01)  # the poll interval: yields to the loop, waits for nothing in particular


class Log:
    """A log (the tool registry's debug log: what an MCP server says on stderr), with a way to await a line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = asyncio.Event()

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        self._changed.set()

    async def saw(self, text: str, within: float = 60.0) -> None:
        async def wait() -> None:
            while not any(text in line for line in self.lines):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), within)  # the deadline only stops a hang

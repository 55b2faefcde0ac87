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

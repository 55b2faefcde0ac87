"""Tool runners for socket turn tests: one clock tool, and the frames a loopback socket got.

A fake at a true edge: the tool itself and the user's approval (what the MCP layer and the
approval card do). The turn, its wire, the socket and the loopback `tools` model are real.
"""

from __future__ import annotations

import asyncio

from rtchat.conversation import Conversation, ToolSpec
from rtchat.events import Event, ToolCallRequest, ToolCallResult

CLOCK_SCHEMA = {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}
CLOCK = ToolSpec("time__now", "The time in a zone", CLOCK_SCHEMA)
DICE = ToolSpec("dice__roll", "Roll a die", {"type": "object", "properties": {"sides": {"type": "integer"}}, "required": ["sides"]})


class ClockTools:
    """Offers `specs` and answers every call "12:00 <zone>", approved at once.

    `hold`: each call waits for `release` (a call in flight, for Ctrl-C tests); a cancelled call
    then answers anyway, a moment later (a late result, which must go nowhere)."""

    max_steps = 4

    def __init__(self, specs: tuple[ToolSpec, ...] = (CLOCK,), *, hold: bool = False) -> None:
        self.specs = specs
        self.hold = hold
        self.offered = 0
        self.ran: list[tuple[str, str, str]] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False

    async def offer(self, put) -> tuple[ToolSpec, ...]:
        self.offered += 1
        return self.specs

    async def run(self, calls, put) -> None:
        for call in calls:
            put(ToolCallRequest(call.id, call.name, "clock", call.arguments))
            self.ran.append((call.id, call.name, call.arguments))
            result = ToolCallResult(call.id, call.name, f"12:00 {(call.parsed() or {}).get('timezone', 'UTC')}", ms=0.1, server="clock")
            if self.hold:
                self.started.set()
                try:
                    await self.release.wait()
                except asyncio.CancelledError:
                    self.cancelled = True
                    asyncio.get_running_loop().call_soon(put, result)  # the tool answers after all: too late
                    raise
            put(result)


async def run_tool_turn(session, target, conversation: Conversation, prompt: str, tools, *, protocol: str = "websocket", cancel_when=None) -> tuple[list[Event], object]:
    """One turn with `tools`; `cancel_when` (an asyncio.Event) set: Ctrl-C then."""
    conversation.add_user(prompt)
    turn = session.turn(target, conversation, protocol=protocol, tools=tools)
    events: list[Event] = []

    async def consume() -> None:
        async for event in turn.events():
            events.append(event)

    reader = asyncio.create_task(consume())
    if cancel_when is not None:
        waiter = asyncio.create_task(cancel_when.wait())
        await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter.done():
            turn.cancel()
        waiter.cancel()
    await reader
    message = turn.answer().message()
    if message is not None:
        conversation.messages.append(message)
    return events, turn


def outputs_sent(connection) -> list[dict]:
    """The `function_call_output` items a Realtime socket received, whole."""
    return [frame["item"] for frame in connection.tool_frames if frame.get("type") == "conversation.item.create" and frame["item"].get("type") == "function_call_output"]


def tool_updates(connection) -> list[dict]:
    """The `session.update`s that offered tools, their `session` objects."""
    return [frame["session"] for frame in connection.tool_frames if frame.get("type") == "session.update"]

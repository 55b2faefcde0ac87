"""What a turn needs from the tool layer to take an answer through its tool steps.

A turn that offers tools runs as steps: a request, the model asks for calls, the
calls are approved and run, the results go back in the wire's own shape, and the
next request continues the same answer (one queue, one clock, one fold). The
turn only knows this protocol; `rtchat.tools` implements it (MCP servers, the
registry, the user's approval), so HTTP turns, socket turns and voice share one
tool layer and the turns never import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from rtchat.config_rules import McpServer
from rtchat.conversation import ToolCall, ToolSpec
from rtchat.events import Event, Notice, ToolCallRequest

Put = Callable[[Event], None]  # the turn's `put`: events reach the user's screen in order


class ToolRunner(Protocol):
    """The tools one turn may use, and how its calls are approved and run."""

    @property
    def max_steps(self) -> int:
        """Tool steps allowed in one answer before the turn ends it (a runaway loop)."""
        ...

    async def offer(self, put: Put) -> tuple[ToolSpec, ...]:
        """The tools to offer this turn; starts servers that are not running yet (in parallel,
        each with a deadline). A server that fails is one notice via `put`; its tools leave."""
        ...

    async def run(self, calls: Sequence[ToolCall], put: Put) -> None:
        """Approve and run `calls` in order. For each: put a `ToolCallRequest`, ask the user,
        run it (or not) and put its `ToolCallResult` (every call gets exactly one result,
        denied and failed ones included). Cancelling the task cancels the call in flight."""
        ...


class RemoteToolRunner(ToolRunner, Protocol):
    """A runner whose servers may be reached by the provider itself (Realtime GA remote MCP).
    Optional: a turn asks for it only when its connection can declare remote servers."""

    def remote_servers(self) -> tuple[McpServer, ...]:
        """The servers marked `realtime = "remote"` (with a url) this turn may use."""
        ...

    def leave_out(self, names: set[str]) -> None:
        """The next `offer` leaves these servers out: the provider reaches them itself (rtchat
        does not start them)."""
        ...

    async def approve_remote(self, request: ToolCallRequest) -> bool:
        """The user's decision on a call a remote server asks to run (the same approver as local calls)."""
        ...


def step_limit_notice(steps: int) -> Notice:
    return Notice(f"the model asked for tools {steps} times in one answer, rtchat's limit ([tools] max_steps); the answer stops here", "warning")

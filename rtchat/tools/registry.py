"""The configured MCP servers, their state and their tools: started lazily, called, stopped.

The registry is the one owner of the servers' connections (the official `mcp` SDK's client
session over stdio or streamable HTTP). It offers each ready server's tools under a name every
provider accepts (namespaced `SERVER__TOOL` when two servers clash), runs a call with a deadline,
and stops every process it started. `mcp` is imported only when a server starts (start-up time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import ToolSpec
from rtchat.events import ToolStatus

DEMO_SERVER = "demo"  # rtchat's own demo server, offered to the loopback models only
LOOPBACK_PROVIDER = "loopback"


class ServerState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as offered: `name` is what the model sees (the server's name, or `SERVER__TOOL`
    when two servers clash; always `^[a-zA-Z0-9_-]{1,64}$`), `original` the server's own name."""

    name: str
    server: str
    original: str
    description: str = ""
    schema: dict | None = None

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.schema or {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One server as `rtchat mcp list` and the /tools screen show it (never a header or env value)."""

    name: str
    state: ServerState
    problem: str | None
    tools: tuple[Tool, ...]
    transport: Literal["stdio", "http"]


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What one call gave back: the text for the model (already cut), and the tool's own time."""

    output: str
    is_error: bool
    status: ToolStatus
    ms: float | None


class ToolRegistry:
    """The configured servers; see the module docstring."""

    def __init__(self, servers: Mapping[str, McpServer], settings: ToolSettings, *, log: Callable[[str], None] | None = None) -> None:
        self._configured = dict(servers)
        self._settings = settings
        self._log = log or (lambda line: None)

    def servers_for(self, provider_id: str) -> list[str]:
        """Enabled configured servers, plus the demo server for the loopback provider when `[tools] demo`."""
        names = [name for name, server in self._configured.items() if server.enabled]
        if provider_id == LOOPBACK_PROVIDER and self._settings.demo and DEMO_SERVER not in self._configured:
            names.append(DEMO_SERVER)
        return names

    def always_allowed(self, server: str) -> tuple[str, ...]:
        """The tools of `server` the user chose in the config to run without asking."""
        config = self._configured.get(server)
        return config.always_allow if config is not None else ()

    async def start(self, names: Iterable[str], notify: Callable[[str], None]) -> None:
        """Start the servers in `names` not started yet, in parallel, each with `[tools] start_timeout`.
        A failure is one line through `notify`; the others go on. Idempotent."""
        raise NotImplementedError

    def status(self) -> list[ServerStatus]:
        raise NotImplementedError

    def tools(self, names: Iterable[str]) -> list[Tool]:
        """The ready servers' tools among `names`, allow-lists applied, namespaced on clashes."""
        raise NotImplementedError

    async def call(self, tool: Tool, arguments: dict, timeout: float) -> ToolOutcome:
        """Run one call. Cancelling the task sends MCP's cancellation; a deadline gives status "timeout"."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Stop every server this registry started (no process left behind)."""
        raise NotImplementedError

"""The configured MCP servers, their state and their tools: started lazily, called, stopped.

The registry is the one owner of the servers' connections (the official `mcp` SDK's client
session over stdio or streamable HTTP). It offers each ready server's tools under a name every
provider accepts (namespaced `SERVER__TOOL` when two servers clash), runs a call with a deadline,
and stops every process it started. `mcp` is imported only when a server starts (start-up time).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import ToolSpec
from rtchat.secrets import redact
from rtchat.tools.connection import McpToolInfo, ServerConnection, ServerState, load_sdk, route_sdk_logs
from rtchat.tools.results import ToolOutcome

__all__ = ["DEMO_SERVER", "TOOL_NAME", "ServerState", "ServerStatus", "Tool", "ToolOutcome", "ToolRegistry", "safe_name"]

DEMO_SERVER = "demo"  # rtchat's own demo server, offered to the loopback models only
LOOPBACK_PROVIDER = "loopback"


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as offered: `name` is what the model sees (the server's name, or `SERVER__TOOL`
    when two servers clash; always `^[a-zA-Z0-9_-]{1,64}$`), `original` the server's own name."""

    name: str
    server: str
    original: str
    description: str = ""
    schema: dict = field(default_factory=lambda: {"type": "object", "properties": {}}, hash=False)

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.schema)


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One server as `rtchat mcp list` and the /tools screen show it (never a header or env value);
    `problem` is why it failed, worded to follow "failed: " ("exited: <its last stderr line>")."""

    name: str
    state: ServerState
    problem: str | None
    tools: tuple[Tool, ...]
    transport: Literal["stdio", "http"]


class ToolRegistry:
    """The configured servers; see the module docstring."""

    def __init__(self, servers: Mapping[str, McpServer], settings: ToolSettings, *, log: Callable[[str], None] | None = None) -> None:
        self._configured = dict(servers)
        self._settings = settings
        secrets = [value for server in self._configured.values() for value in (*server.headers.values(), *server.env.values())]
        sink = log or (lambda line: None)
        self._log: Callable[[str], None] = lambda line: sink(redact(line, *secrets))
        self._connections: dict[str, ServerConnection] = {}
        self._unroute_sdk_logs: Callable[[], None] | None = None
        self._sdk_loaded = False

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

    def config_of(self, name: str) -> McpServer | None:
        if name == DEMO_SERVER and name not in self._configured:
            return demo_server()
        return self._configured.get(name)

    async def start(self, names: Iterable[str], notify: Callable[[str], None]) -> None:
        """Start the servers in `names` not started yet, in parallel, each with `[tools] start_timeout`
        (counted from its launch, after the SDK has loaded). A failure is one line through `notify`
        (once per failure); the others go on. Idempotent: a running server is left alone, a failed
        one stays failed until `restart`."""
        names = list(dict.fromkeys(names))
        new = [(name, config) for name in names if name not in self._connections and (config := self.config_of(name)) is not None]
        if new and not self._sdk_loaded:
            await asyncio.to_thread(load_sdk)  # two starts at once may both load it: the import lock makes that harmless
            self._sdk_loaded = True
        if new and self._unroute_sdk_logs is None:
            self._unroute_sdk_logs = route_sdk_logs(self._log)
        for name, config in new:
            if name not in self._connections:  # another start() may have launched it meanwhile
                self._connections[name] = ServerConnection(replace(config, name=name), self._log)
                self._connections[name].launch(self._settings.start_timeout)
        started = [self._connections[name] for name in names if name in self._connections]
        await asyncio.gather(*(connection.wait_started() for connection in started))
        for connection in started:
            if line := connection.unreported_problem():
                notify(line)

    async def restart(self, name: str, notify: Callable[[str], None]) -> None:
        """Stop `name` if it runs and start it afresh (the user's retry of a failed server)."""
        connection = self._connections.pop(name, None)
        if connection is not None:
            await connection.stop()
        await self.start([name], notify)

    def status(self) -> list[ServerStatus]:
        """Every server this registry knows of (configured or started), in config order."""
        names = list(self._configured) + [name for name in self._connections if name not in self._configured]
        listed = self._named_tools(names)
        statuses = []
        for name in names:
            connection = self._connections.get(name)
            config = self.config_of(name)
            transport: Literal["stdio", "http"] = "http" if config is not None and config.url else "stdio"
            if connection is None:
                statuses.append(ServerStatus(name, ServerState.STOPPED, None, (), transport))
            else:
                tools = tuple(tool for tool in listed if tool.server == name)
                statuses.append(ServerStatus(name, connection.state, connection.problem, tools, transport))
        return statuses

    def tools(self, names: Iterable[str]) -> list[Tool]:
        """The ready servers' tools among `names`, allow-lists applied, namespaced on clashes."""
        return self._named_tools(list(dict.fromkeys(names)))

    def _named_tools(self, names: list[str]) -> list[Tool]:
        offered: list[tuple[str, McpToolInfo]] = []
        for name in names:
            connection = self._connections.get(name)
            if connection is None or connection.state is not ServerState.READY:
                continue
            allow = connection.config.tools
            offered.extend((name, info) for info in connection.tools if allow is None or info.name in allow)
        return name_tools(offered)

    async def call(self, tool: Tool, arguments: dict, timeout: float) -> ToolOutcome:
        """Run one call. Cancelling the task sends MCP's cancellation; a deadline gives status "timeout"."""
        connection = self._connections.get(tool.server)
        if connection is None or connection.state is not ServerState.READY:
            why = connection.problem_line() if connection is not None else f"mcp server '{tool.server}' is not running"
            return ToolOutcome(why, True, "error", None)
        return await connection.call(tool.original, arguments, timeout, self._settings.max_result_chars)

    async def aclose(self) -> None:
        """Stop every server this registry started (no process left behind)."""
        connections = list(self._connections.values())
        await asyncio.gather(*(connection.stop() for connection in connections), return_exceptions=True)
        self._connections.clear()  # a later start() starts them afresh
        if self._unroute_sdk_logs is not None:
            self._unroute_sdk_logs()
            self._unroute_sdk_logs = None


def demo_server() -> McpServer:
    """rtchat's own demo server (`rtchat.tools.demo_server`), run by this Python."""
    return McpServer(name=DEMO_SERVER, command=(sys.executable, "-m", "rtchat.tools.demo_server"))


TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # what every provider accepts (OpenAI's rule is the strictest)


def safe_name(name: str) -> str:
    """`name` as a tool name every provider accepts: other characters become "_", one that does
    not start with a letter gets a leading "_" (Gemini's rule), and a long one is shortened with a
    hash of the whole so two long names stay apart."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]", "_", name) or "_"
    if not (cleaned[0].isascii() and cleaned[0].isalpha()) and cleaned[0] != "_":
        cleaned = "_" + cleaned
    if len(cleaned) <= 64:
        return cleaned
    return f"{cleaned[:55]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def name_tools(offered: list[tuple[str, McpToolInfo]]) -> list[Tool]:
    """Offered names: the server's own name, `SERVER__TOOL` where two servers offer the same one
    (and a numbered suffix in the rare case that cleaning still makes two the same)."""
    servers_of: dict[str, set[str]] = {}
    for server, info in offered:
        servers_of.setdefault(safe_name(info.name), set()).add(server)
    taken: set[str] = set()
    tools = []
    for server, info in offered:
        base = safe_name(info.name)
        name = safe_name(f"{server}__{info.name}") if len(servers_of[base]) > 1 else base
        unique, number = name, 2
        while unique in taken:
            suffix = f"_{number}"
            unique, number = name[: 64 - len(suffix)] + suffix, number + 1
        taken.add(unique)
        tools.append(Tool(unique, server, info.name, info.description, info.schema))
    return tools

"""`rtchat mcp list|import`: the configured MCP servers as they really start, and servers taken
from a Claude-Desktop-style file into the config.

`list` starts every enabled server (and the demo server the loopback models get) the way a turn
would, so "ready" means a turn would have its tools, and a failure says why; the servers stop
again before it returns. Server names, tool names and descriptions are the servers' words:
printed inert. Header and env values are never printed.

`import` reads `{"mcpServers": {"NAME": {"command", "args", "env", "cwd"} | {"url", "headers"}}}`
(the shape Claude Desktop, Cursor and others write) into `[mcp.servers.NAME]` tables, keeping the
config file's comments; a name the config has is refused unless `--replace`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from rtchat.commands.common import fail, load_config_or_report
from rtchat.commands.printers import one_line
from rtchat.config import Config, add_mcp_servers, config_path
from rtchat.config_rules import MCP_SERVER_NAME
from rtchat.debuglog import WireLog
from rtchat.errors import InputFailure
from rtchat.sanitize import strict_json, terminal_safe
from rtchat.session import Session
from rtchat.tools.registry import DEMO_SERVER, LOOPBACK_PROVIDER, ServerState, ServerStatus, ToolRegistry

DESCRIPTION_CHARS = 100  # of a tool's description in `mcp list`: its first line, cut


def run_mcp(args) -> int:
    if args.mcp_command == "import":
        return import_servers(Path(args.file), args.replace)
    config = load_config_or_report()
    if config is None:
        return 2
    try:
        return asyncio.run(list_servers(config, args.json, getattr(args, "debug", False)))
    except KeyboardInterrupt:
        return 130


# ---- list


def listed_names(config: Config, registry: ToolRegistry) -> tuple[list[str], list[str]]:
    """The servers to start (the enabled ones, and the loopback models' demo server), and the
    switched-off ones (shown, not started)."""
    started = registry.servers_for(LOOPBACK_PROVIDER)  # every enabled server, and the demo when on
    disabled = [name for name, server in config.mcp_servers.items() if not server.enabled]
    return started, disabled


def label(name: str, config: Config) -> str:
    return "demo (for loopback models)" if name == DEMO_SERVER and name not in config.mcp_servers else terminal_safe(name)


def first_line(text: str) -> str:
    return one_line(text.strip().split("\n", 1)[0] if text.strip() else "", DESCRIPTION_CHARS)


async def list_servers(config: Config, as_json: bool, debug: bool = False) -> int:
    session = Session(config)  # the registry as a turn gets it: the same servers, log and clean-up
    if debug:
        session.wire_log = WireLog.create()
        print(f"rtchat: writing a redacted wire log to {session.wire_log.path}", file=sys.stderr)
    try:
        registry = session.tool_registry()
        started, disabled = listed_names(config, registry)
        if started:
            await registry.start(started, lambda line: None)  # each failure is in its status, said below
        statuses = {status.name: status for status in registry.status()}
    finally:
        await session.aclose()
    shown = [statuses[name] for name in started if name in statuses]
    if as_json:
        print(strict_json([server_json(status, config) for status in shown] + [disabled_json(name, config) for name in disabled], indent=2))
    elif not shown and not disabled:
        print(f"no MCP servers: add [mcp.servers.NAME] to {config.path} (or `rtchat mcp import FILE`)")
    else:
        for status in shown:
            print_server(status, config)
        for name in disabled:
            print(f"{terminal_safe(name)}: disabled (enabled = false)")
    return 1 if any(status.state is not ServerState.READY for status in shown) else 0


def print_server(status: ServerStatus, config: Config) -> None:
    name = label(status.name, config)
    if status.state is ServerState.READY:
        count = len(status.tools)
        print(f"{name}: ready ({status.transport}), {count} tool{'s' if count != 1 else ''}")
        width = max((len(terminal_safe(tool.original)) for tool in status.tools), default=0)
        for tool in status.tools:
            description = first_line(tool.description)
            print(f"  {terminal_safe(tool.original):<{width}}  {description}".rstrip())
    else:
        why = f": {one_line(status.problem)}" if status.problem else ""
        print(f"{name}: {status.state.value} ({status.transport}){why}")


def server_json(status: ServerStatus, config: Config) -> dict[str, Any]:
    return {
        "name": status.name,
        "state": status.state.value,
        "problem": status.problem,
        "transport": status.transport,
        "demo": status.name == DEMO_SERVER and status.name not in config.mcp_servers,
        "tools": [{"name": tool.original, "offered_as": tool.name, "description": tool.description} for tool in status.tools],
    }


def disabled_json(name: str, config: Config) -> dict[str, Any]:
    server = config.mcp_servers[name]
    return {"name": name, "state": "disabled", "problem": None, "transport": "http" if server.url else "stdio", "demo": False, "tools": []}


# ---- import


class ImportProblem(InputFailure):
    """A file `mcp import` cannot take; the message is the one line to show."""


def read_servers(path: Path) -> dict[str, dict[str, Any]]:
    """The `[mcp.servers.NAME]` tables a Claude-Desktop-style file describes (ImportProblem when
    it cannot be read or a server in it is not usable; nothing is imported then)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportProblem(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ImportProblem(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportProblem(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ImportProblem(f'{path}: no "mcpServers" object (expected {{"mcpServers": {{"NAME": {{"command": ..., "args": [...]}}}}}})')
    return {name: server_table(path, name, entry) for name, entry in servers.items()}


def _string_table(path: Path, name: str, entry: dict, key: str) -> dict[str, str]:
    value = entry.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ImportProblem(f'{path}: server {terminal_safe(name)!r}: "{key}" must be an object of strings')
    return value


def server_table(path: Path, name: str, entry: Any) -> dict[str, Any]:
    """One server of the file as its config table (its keys in the order the config documents them)."""
    where = f"{path}: server {terminal_safe(name)!r}"
    if not MCP_SERVER_NAME.match(name):
        raise ImportProblem(f"{where}: a server's name may hold only letters, digits, _ and - (at most 32); rename it in the file")
    if not isinstance(entry, dict):
        raise ImportProblem(f"{where}: must be an object with command or url")
    command, url = entry.get("command"), entry.get("url")
    table: dict[str, Any] = {}
    if isinstance(command, str) and command and url is None:
        args = entry.get("args", [])
        if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
            raise ImportProblem(f'{where}: "args" must be a list of strings')
        table["command"] = [command, *args]
        env = _string_table(path, name, entry, "env")
        if env:
            table["env"] = env
        if isinstance(entry.get("cwd"), str):
            table["cwd"] = entry["cwd"]
    elif isinstance(url, str) and command is None:
        if not url.startswith(("http://", "https://")):
            raise ImportProblem(f'{where}: "url" must start with http:// or https://')
        table["url"] = url
        headers = _string_table(path, name, entry, "headers")
        if headers:
            table["headers"] = headers
    else:
        raise ImportProblem(f'{where}: needs "command" (a string, with "args") or "url", not both')
    if entry.get("disabled") is True:
        table["enabled"] = False
    return table


def import_servers(path: Path, replace: bool) -> int:
    try:
        servers = read_servers(path)
    except ImportProblem as exc:
        return fail(str(exc))
    if not servers:
        return fail(f'{path}: "mcpServers" is empty; nothing to import')
    target = config_path()
    try:
        add_mcp_servers(target, servers, replace=replace)
    except ValueError as exc:  # a name the config already has, or a config that would not load (ConfigError)
        return fail(f"nothing imported: {exc}")
    except OSError as exc:
        return fail(f"nothing imported: cannot write {target}: {exc.strerror or exc}")
    for name, table in servers.items():
        how = f"stdio: {terminal_safe(table['command'][0])}" if "command" in table else "http"
        print(f"imported {terminal_safe(name)} ({how}) into {target}")
    return 0

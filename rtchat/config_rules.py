"""The typed sections of config.toml, what each setting may hold, and the one reading of both.

`read_settings` checks every setting (each problem and warning naming the file and
line of the offender) and, when nothing is wrong, builds the typed sections from
them: nothing else in rtchat reads the TOML's dicts. The sections' field names are
the known keys of their tables, so a setting added to a dataclass is known here too.

Why here and not at the point of use: `retries = 0` used to make `ask` print
nothing and exit 1, and `stall_timeout = -1` was taken as is. A value out of
range is refused before anything runs, naming the line to fix; a key rtchat does
not know in a table it knows is a warning (a typo, or a setting from a newer
rtchat), never fatal.

tomllib keeps no positions, and tomlkit's items carry none either (only the text
round-trips), so the line is found by scanning the text for the key inside its
table's header: one small function, exact for the `[table]` and `key =` forms the
messages name; a dotted or inline-table key falls back to the file name alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from rtchat.catalog import EFFORTS, PROTOCOLS
from rtchat.pricing import BUILTIN_PRICES, Price


@dataclass
class NetworkSettings:
    connect_timeout: float = 10.0
    stall_timeout: float = 60.0  # seconds with no decoded event (keep-alives and drips do not count)
    retries: int = 3  # tries in all, before the first token only
    max_retry_wait: float = 30.0
    first_token_timeout: float = 0.0  # seconds from the request to the first piece of the answer; 0: only the stall timeout
    total_timeout: float = 0.0  # seconds for a whole answer; 0: no limit
    max_answer_chars: int = 4_000_000  # an answer is stopped (partial kept) at this many characters


@dataclass
class VoiceSettings:
    """`[voice]`: ICE servers (strings or `{urls, username, credential}` tables), devices, playback prefill."""

    ice_servers: list[Any] = field(default_factory=list)  # none: right for loopback and most home networks
    input_device: str | int | None = None  # a PortAudio device name or index
    output_device: str | int | None = None
    jitter_ms: float = 20.0  # aiortc already holds 4 frames (80 ms) against network jitter


@dataclass
class AppSettings:
    """`[app]`: what the app remembers between runs."""

    reopen_last: bool = False
    last_model: str | None = None


@dataclass(frozen=True)
class Persona:
    """A named way to start a conversation: its system prompt, and optionally a model and an effort."""

    name: str
    prompt: str | None = None
    model: str | None = None
    effort: str | None = None


@dataclass(frozen=True)
class McpServer:
    """`[mcp.servers.NAME]`: an MCP server, either a command rtchat starts and stops (stdio) or
    a URL (streamable HTTP). Header values are secrets: redacted like keys wherever shown."""

    name: str
    command: tuple[str, ...] = ()  # argv; rtchat starts it lazily, stops it when it exits
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tools: tuple[str, ...] | None = None  # an allow-list of the server's tool names; None: all of them
    enabled: bool = True
    always_allow: tuple[str, ...] = ()  # the server's tools the user chose to run without asking
    realtime: str = "local"  # "remote": over Realtime GA the provider reaches this url server itself (rtchat does not start it)


@dataclass
class ToolSettings:
    """`[tools]`: how long servers and calls may take, how much of a result goes back, the loop limit."""

    start_timeout: float = 15.0  # seconds for a server to start and list its tools
    call_timeout: float = 60.0  # seconds for one tool call
    max_result_chars: int = 20_000  # a longer result is cut with a note, never sent whole
    max_steps: int = 10  # tool steps in one answer before rtchat ends it
    demo: bool = True  # offer rtchat's demo MCP server to the loopback models (only them)


@dataclass
class WebSettings:
    """`[web]`: `rtchat web`'s limits."""

    max_sessions: int = 4  # browser tabs with an app running at once; one more gets a page saying so


@dataclass
class Sections:
    """Every setting but the providers (the catalogue builds those), typed."""

    default_model: str | None = None
    theme: str | None = None
    network: NetworkSettings = field(default_factory=NetworkSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    remembered: AppSettings = field(default_factory=AppSettings, metadata={"table": "app"})  # `.app` is Textual's app in the UI
    efforts: dict[str, str] = field(default_factory=dict)  # "provider/model" -> effort
    protocols: dict[str, str] = field(default_factory=dict)  # "provider/model" -> protocol
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key
    personas: dict[str, Persona] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)  # "provider/model" -> a price overriding the built-in one
    mcp_servers: dict[str, McpServer] = field(default_factory=dict, metadata={"table": "mcp"})  # `[mcp.servers.NAME]`
    tools: ToolSettings = field(default_factory=ToolSettings)
    web: WebSettings = field(default_factory=WebSettings)


def _names(section: type) -> set[str]:
    """The keys a section's table holds: its fields' names, or the table a field says it reads."""
    return {f.metadata.get("table", f.name) for f in fields(section)}

# [network]: (low, high, whole number?)
NETWORK_RANGES: dict[str, tuple[float, float, bool]] = {
    "connect_timeout": (0.1, 300, False),
    "stall_timeout": (1, 3600, False),
    "retries": (1, 10, True),
    "max_retry_wait": (0, 600, False),
    "max_answer_chars": (1000, 1_000_000_000, True),
}
DEFAULT_RANGE = (0, 86400, False)  # a NetworkSettings field this table does not name yet
# [tools]: the same (low, high, whole number?); `demo` is true or false
TOOL_RANGES: dict[str, tuple[float, float, bool]] = {
    "start_timeout": (0.1, 600, False),
    "call_timeout": (0.1, 86400, False),
    "max_result_chars": (100, 100_000_000, True),
    "max_steps": (1, 1000, True),
}
# [web]: the same (low, high, whole number?)
WEB_RANGES: dict[str, tuple[float, float, bool]] = {"max_sessions": (1, 64, True)}

TOP_LEVEL = _names(Sections) | {"providers"}
PERSONA_FIELDS = _names(Persona) - {"name"}
PRICE_FIELDS = _names(Price) - {"note"}
APP_KEYS = {"reopen_last": bool, "last_model": str}  # the types of AppSettings' fields, as a TOML value holds them
PROVIDER_KEYS = {
    "base_url": str, "key_env": (str, list), "models": (list, dict), "allow_insecure": bool, "effort_style": str,
    "api": str, "needs_key": bool, "default_model": str, "label": str,
    "kind": str, "api_version": str, "realtime_dialect": str, "chat_socket": bool,
}
EFFORT_STYLES = ("openai", "deepseek", "openrouter", "generic", "budget", "level")
VOICE_KEYS = _names(VoiceSettings)
MCP_KEYS = {"servers"}
MCP_SERVER_KEYS = _names(McpServer) - {"name"}
MCP_SECRET_TABLES = ("env", "headers")  # their values are never echoed in a message (tokens live there)
REALTIME_MCP = ("local", "remote")  # where a url server runs in a Realtime GA session: rtchat, or the provider
# A server's name prefixes its tools' names when two servers clash, and wires accept only these
# characters in a tool's name (OpenAI: ^[a-zA-Z0-9_-]{1,64}$).
MCP_SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
JITTER_RANGE = (0, 1000)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _header(table: tuple[str, ...]) -> re.Pattern[str]:
    parts = r"\s*\.\s*".join(rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')" for p in table)
    return re.compile(rf"^[ \t]*\[\s*{parts}\s*\]", re.MULTILINE)


def line_of(text: str, table: tuple[str, ...], key: str | None = None) -> int | None:
    """The 1-based line of `key` inside `[table]` (or of the header itself); None if not found."""
    start, end = 0, len(text)
    if table:
        header = _header(table).search(text)
        if header is None:
            return None
        start = header.start()
        following = re.compile(r"^[ \t]*\[", re.MULTILINE).search(text, header.end())
        end = following.start() if following else len(text)
    else:
        first = re.compile(r"^[ \t]*\[", re.MULTILINE).search(text)
        end = first.start() if first else len(text)
    if key is not None:
        quoted = rf"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
        found = re.compile(rf"^[ \t]*{quoted}[ \t]*=", re.MULTILINE).search(text, start, end)
        if found is not None:
            start = found.start()
        elif not table:
            return None
    return text.count("\n", 0, start) + 1


class _Checker:
    def __init__(self, text: str, path: Path) -> None:
        self.text, self.path, self.found = text, path, Findings()

    def where(self, table: tuple[str, ...], key: str | None) -> str:
        line = line_of(self.text, table, key)
        return f"{self.path} line {line}" if line else str(self.path)

    def problem(self, table: tuple[str, ...], key: str | None, message: str) -> None:
        self.found.problems.append(f"{self.where(table, key)}: {message}")

    def warn_unknown(self, table: tuple[str, ...], key: str, known: set[str] | dict) -> None:
        name = f"[{'.'.join(table)}] {key}" if table else key
        self.found.warnings.append(
            f"{self.where(table, key)}: unknown setting {name} (ignored; known: {', '.join(sorted(known))})"
        )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_ranges(check: _Checker, name: str, table: dict, section: type, ranges: dict[str, tuple[float, float, bool]]) -> None:
    """A table of numbers with ranges (`[network]`, `[tools]`); its booleans are true or false."""
    known, defaults = _names(section), section()
    for key, value in table.items():
        if key not in known:
            check.warn_unknown((name,), key, known)
            continue
        if isinstance(getattr(defaults, key), bool):
            if not isinstance(value, bool):
                check.problem((name,), key, f"[{name}] {key} must be true or false (got {value!r})")
            continue
        low, high, whole = ranges.get(key, DEFAULT_RANGE)
        kind = "a whole number" if whole else "a number of seconds"
        ok = _number(value) and math.isfinite(value) and low <= value <= high and (not whole or value == int(value))
        if not ok:
            check.problem((name,), key, f"[{name}] {key} must be {kind} between {low:g} and {high:g} (got {value!r})")


def _check_provider(check: _Checker, name: str, table: Any) -> None:
    where = ("providers", name)
    if not isinstance(table, dict):
        check.problem(("providers",), name, f"[providers.{name}] must be a table")
        return
    for key, value in table.items():
        expected = PROVIDER_KEYS.get(key)
        if expected is None:
            check.warn_unknown(where, key, PROVIDER_KEYS)
        elif not isinstance(value, expected) or (key == "key_env" and isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            what = {str: "a string", bool: "true or false", list: "a list"}.get(expected, "a list of model names or a table of model tables" if key == "models" else "a string or a list of strings")  # type: ignore[arg-type]
            check.problem(where, key, f"[providers.{name}] {key} must be {what} (got {value!r})")
        elif key == "effort_style" and value not in EFFORT_STYLES:
            check.problem(where, key, f"[providers.{name}] effort_style must be one of {', '.join(EFFORT_STYLES)} (got {value!r})")
        elif key == "base_url" and not re.match(r"^https?://", value):
            check.problem(where, key, f"[providers.{name}] base_url must start with http:// or https:// (got {value!r})")


def _check_choices(check: _Checker, name: str, table: dict, allowed: tuple[str, ...]) -> None:
    for key, value in table.items():
        if value not in allowed:
            check.problem((name,), key, f'[{name}] "{key}" must be one of {", ".join(allowed)} (got {value!r})')


def _check_voice(check: _Checker, table: dict) -> None:
    for key, value in table.items():
        if key not in VOICE_KEYS:
            check.warn_unknown(("voice",), key, VOICE_KEYS)
        elif key == "jitter_ms" and not (_number(value) and JITTER_RANGE[0] <= value <= JITTER_RANGE[1]):
            check.problem(("voice",), key, f"[voice] jitter_ms must be a number between {JITTER_RANGE[0]} and {JITTER_RANGE[1]} (got {value!r})")
        elif key.endswith("_device") and not isinstance(value, (str, int)):
            check.problem(("voice",), key, f"[voice] {key} must be a device name or index (got {value!r})")


def _check_persona(check: _Checker, name: str, table: object) -> None:
    where = ("personas", name)
    if not isinstance(table, dict):
        check.problem(("personas",), name, f"[personas.{name}] must be a table with prompt, model and effort")
        return
    for key, value in table.items():
        if key not in PERSONA_FIELDS:
            check.warn_unknown(where, key, PERSONA_FIELDS)
        elif not isinstance(value, str):
            check.problem(where, key, f"[personas.{name}] {key} must be a string (got {value!r})")
        elif key == "effort" and value not in EFFORTS:
            check.problem(where, key, f"[personas.{name}] effort must be one of {', '.join(EFFORTS)} (got {value!r})")
        elif key == "model" and "/" not in value:
            check.problem(where, key, f"[personas.{name}] model must look like PROVIDER/MODEL (got {value!r})")


def _check_price(check: _Checker, ref: str, table: object) -> None:
    where = ("prices", ref)
    if not isinstance(table, dict) or not {"input", "output"} <= set(table):
        check.problem(("prices",), ref, f"[prices.\"{ref}\"] needs input and output (US dollars per million tokens)")
        return
    for key, value in table.items():
        if key not in PRICE_FIELDS:
            check.warn_unknown(where, key, PRICE_FIELDS)
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10_000:
            check.problem(where, key, f"[prices.\"{ref}\"] {key} must be a number of dollars between 0 and 10000 (got {value!r})")


def _strings_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _check_mcp_server(check: _Checker, name: str, table: Any) -> None:
    """`[mcp.servers.NAME]`: a command (stdio) or a url (streamable HTTP), never both.
    The values of env and headers are never repeated in a message: they hold tokens."""
    good_name = MCP_SERVER_NAME.match(name) is not None
    where, label = ("mcp", "servers", name), f"[mcp.servers.{name}]" if good_name else f'[mcp.servers."{name}"]'
    if not isinstance(table, dict):
        check.problem(("mcp", "servers"), name, f"{label} must be a table with command or url")
        return
    if not good_name:
        check.problem(where, None, f"{label}: a server's name may hold only letters, digits, _ and - (at most 32)")
    for key, value in table.items():
        if key not in MCP_SERVER_KEYS:
            check.warn_unknown(where, key, MCP_SERVER_KEYS)
        elif key == "command" and not (_strings_list(value) and value and all(value)):
            check.problem(where, key, f'{label} command must be a non-empty list of strings, e.g. ["uvx", "mcp-server-time"] (got {value!r})')
        elif key == "url" and not (isinstance(value, str) and re.match(r"^https?://[^/\s]", value)):
            check.problem(where, key, f"{label} url must start with http:// or https://")  # not echoed: a URL may carry a token
        elif key in MCP_SECRET_TABLES and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            check.problem(where, key, f"{label} {key} must be a table of strings, e.g. {key} = {{ NAME = \"value\" }}")
        elif key == "cwd" and not isinstance(value, str):
            check.problem(where, key, f"{label} cwd must be a string (got {value!r})")
        elif key in ("tools", "always_allow") and not _strings_list(value):
            check.problem(where, key, f"{label} {key} must be a list of tool names (got {value!r})")
        elif key == "enabled" and not isinstance(value, bool):
            check.problem(where, key, f"{label} enabled must be true or false (got {value!r})")
        elif key == "realtime" and value not in REALTIME_MCP:
            check.problem(where, key, f'{label} realtime must be "local" or "remote" (got {value!r})')
    command, url = "command" in table, "url" in table
    if command == url:
        what = "has both command and url: keep one" if command else "needs command (a program rtchat starts) or url (a streamable HTTP server)"
        check.problem(where, None, f"{label} {what}")
    elif command and "headers" in table:
        check.problem(where, "headers", f"{label} headers are for a url server; a command server takes env")
    elif command and table.get("realtime") == "remote":
        check.problem(where, "realtime", f'{label} realtime = "remote" is for a url server (the provider must reach it); a command server stays local')
    elif url and ("env" in table or "cwd" in table):
        check.problem(where, "env" if "env" in table else "cwd", f"{label} env and cwd are for a command server; a url server takes headers")


def _check_mcp(check: _Checker, table: dict) -> None:
    for key, value in table.items():
        if key not in MCP_KEYS:
            check.warn_unknown(("mcp",), key, MCP_KEYS)
        elif not isinstance(value, dict):
            check.problem(("mcp",), key, "[mcp] servers must be tables: [mcp.servers.NAME]")
        else:
            for name, server in value.items():
                _check_mcp_server(check, name, server)


def check_settings(data: dict, text: str, path: Path) -> Findings:
    """Every problem and warning in a parsed config, each naming the file and line."""
    check = _Checker(text, path)
    for key, value in data.items():
        if key not in TOP_LEVEL:
            check.warn_unknown((), key, TOP_LEVEL)
        elif key in ("default_model", "theme") and not isinstance(value, str):
            check.problem((), key, f"{key} must be a string (got {value!r})")
        elif key not in ("default_model", "theme") and not isinstance(value, dict):
            check.problem((), key, f"[{key}] must be a table")
    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    _check_ranges(check, "network", tables.get("network", {}), NetworkSettings, NETWORK_RANGES)
    _check_ranges(check, "tools", tables.get("tools", {}), ToolSettings, TOOL_RANGES)
    _check_ranges(check, "web", tables.get("web", {}), WebSettings, WEB_RANGES)
    _check_mcp(check, tables.get("mcp", {}))
    for name, table in tables.get("providers", {}).items():
        _check_provider(check, name, table)
    _check_choices(check, "efforts", tables.get("efforts", {}), EFFORTS)
    _check_choices(check, "protocols", tables.get("protocols", {}), PROTOCOLS)
    for key, value in tables.get("keys", {}).items():
        if not isinstance(value, str):
            check.problem(("keys",), key, f"[keys] {key} must be a key name such as \"ctrl+s\" (got {value!r})")
    _check_voice(check, tables.get("voice", {}))
    for name, table in tables.get("personas", {}).items():
        _check_persona(check, name, table)
    for ref, table in tables.get("prices", {}).items():
        _check_price(check, ref, table)
    for key, value in tables.get("app", {}).items():
        if key not in APP_KEYS:
            check.warn_unknown(("app",), key, set(APP_KEYS))
        elif not isinstance(value, APP_KEYS[key]):
            check.problem(("app",), key, f"[app] {key} must be a {APP_KEYS[key].__name__} (got {value!r})")
    return check.found


def _strings(table: dict) -> dict[str, str]:
    return {str(key): str(value) for key, value in table.items()}


def _mcp_server(name: str, table: dict) -> McpServer:
    tools = table.get("tools")
    return McpServer(
        name=name,
        command=tuple(table.get("command", ())),
        env=_strings(table.get("env", {})),
        cwd=table.get("cwd"),
        url=table.get("url"),
        headers=_strings(table.get("headers", {})),
        tools=None if tools is None else tuple(tools),
        enabled=table.get("enabled", True),
        always_allow=tuple(table.get("always_allow", ())),
        realtime=table.get("realtime", "local"),
    )


def _typed(section: type, table: dict) -> Any:
    """A section of plain settings (`[network]`, `[tools]`), each value as its default's type."""
    return section(**{f.name: type(f.default)(table[f.name]) for f in fields(section) if f.name in table})


def _sections(data: dict) -> Sections:
    """The typed sections of a config `check_settings` found no problem in (so every value has its type)."""
    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    network = tables.get("network", {})
    voice = tables.get("voice", {})
    servers = voice.get("ice_servers") or []
    app = tables.get("app", {})
    return Sections(
        default_model=data.get("default_model"),
        theme=data.get("theme"),
        network=_typed(NetworkSettings, network),
        voice=VoiceSettings(
            ice_servers=list(servers) if isinstance(servers, list) else [servers],
            input_device=voice.get("input_device"),
            output_device=voice.get("output_device"),
            jitter_ms=float(voice.get("jitter_ms", 20.0)),
        ),
        remembered=AppSettings(reopen_last=app.get("reopen_last") is True, last_model=app.get("last_model")),
        efforts=_strings(tables.get("efforts", {})),
        protocols=_strings(tables.get("protocols", {})),
        keys=_strings(tables.get("keys", {})),
        personas={
            str(name): Persona(str(name), table.get("prompt"), table.get("model"), table.get("effort"))
            for name, table in tables.get("personas", {}).items()
        },
        prices={
            ref: replace(BUILTIN_PRICES.get(ref, Price(0.0, 0.0)), **{k: float(v) for k, v in table.items() if k in PRICE_FIELDS})
            for ref, table in tables.get("prices", {}).items()
        },
        mcp_servers={
            str(name): _mcp_server(str(name), table) for name, table in tables.get("mcp", {}).get("servers", {}).items()
        },
        tools=_typed(ToolSettings, tables.get("tools", {})),
        web=_typed(WebSettings, tables.get("web", {})),
    )


def read_settings(data: dict, text: str, path: Path) -> tuple[Sections | None, Findings]:
    """The one reading of a parsed config: its findings, and its typed sections when it has no problem."""
    findings = check_settings(data, text, path)
    return (None if findings.problems else _sections(data)), findings

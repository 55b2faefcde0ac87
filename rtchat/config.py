"""The TOML config file in the platform config dir, and the catalogue it shapes.

Reading uses the stdlib parser (its errors name the line), then config_rules'
one validator, which also types every section: the rest of rtchat gets a `Config`
passed down and never reads the TOML itself. Writing a single setting back goes
through tomlkit so the user's comments and layout survive.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from rtchat.errors import ConfigFailure
from rtchat.catalog import BUILTIN, DEFAULT_ORDER, Catalog, ModelRef, parse_model_ref, provider_from_config
from rtchat.config_rules import Sections, line_of, read_settings
from rtchat.config_rules import AppSettings as AppSettings, McpServer as McpServer, NetworkSettings as NetworkSettings, Persona as Persona, ToolSettings as ToolSettings, VoiceSettings as VoiceSettings  # the sections, imported with Config

APP = "rtchat"


class ConfigError(ConfigFailure, ValueError):
    """The config file is unusable; the message names the file and line.

    `problems` holds every problem found (the message shows the first)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


def config_dir() -> Path:
    return Path(os.environ.get("RTCHAT_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(os.environ.get("RTCHAT_DATA_DIR") or platformdirs.user_data_dir(APP))


def state_dir() -> Path:
    return Path(os.environ.get("RTCHAT_STATE_DIR") or platformdirs.user_state_dir(APP))


def cache_dir() -> Path:
    return Path(os.environ.get("RTCHAT_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def config_path() -> Path:
    return config_dir() / "config.toml"


@dataclass(kw_only=True)
class Config(Sections):
    """The config file, read once: the catalogue, and every section typed (the fields of `Sections`)."""

    path: Path
    catalog: Catalog
    warnings: list[str] = field(default_factory=list)  # unknown keys, each naming its line
    text: str = ""  # the file as read, for `where`

    def where(self, table: tuple[str, ...], key: str | None = None) -> str:
        """`FILE line N` of a setting (or just the file when the line cannot be told)."""
        line = line_of(self.text, table, key)
        return f"{self.path} line {line}" if line else str(self.path)


def parse_config(text: str, path: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    sections, findings = read_settings(data, text, path)
    if sections is None:
        first, more = findings.problems[0], len(findings.problems) - 1
        extra = f" (and {more} more: see `rtchat config check`)" if more else ""
        raise ConfigError(first + extra, findings.problems)
    catalog = Catalog()
    for name, table in data.get("providers", {}).items():  # each checked to be a table
        try:
            catalog.providers[name] = provider_from_config(name, table, BUILTIN.get(name))
        except ValueError as exc:
            raise ConfigError(f"{path}: [providers.{name}]: {exc}") from None
    if sections.default_model is not None:
        try:
            parse_model_ref(sections.default_model)
        except ValueError as exc:
            raise ConfigError(f"{path}: default_model: {exc}") from None
    warnings = findings.warnings + unspoken_protocols(sections.protocols, catalog)
    return Config(path=path, catalog=catalog, warnings=warnings, text=text, **vars(sections))


def unspoken_protocols(protocols: dict[str, str], catalog: Catalog) -> list[str]:
    """`[protocols]` entries naming a protocol the model does not speak: said, never silently
    replaced by another one (the fix is a per-model declaration)."""
    said = []
    for ref, protocol in protocols.items():
        try:
            parsed = parse_model_ref(ref)
        except ValueError:
            continue
        provider = catalog.providers.get(parsed.provider)
        if provider is None:
            continue
        spoken = provider.model(parsed.model).protocols
        if protocol not in spoken:
            said.append(
                f'[protocols] "{ref}" = "{protocol}" is ignored: {ref} speaks {", ".join(spoken)} only; '
                f'if it does speak {protocol}, declare it: [providers.{parsed.provider}.models."{parsed.model}"] protocols = [...]'
            )
    return said


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path, catalog=Catalog())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    return parse_config(text, path)


def edit_config(path: Path, change: Callable[[Any], None]) -> None:
    """Apply `change` to the file's tomlkit document and write it back atomically: the user's
    comments and layout survive. The new text is read as rtchat reads it first: a change that
    would leave an unusable file raises ConfigError and writes nothing (the one writer)."""
    import tomlkit  # deferred: tomlkit, only when the config file is written

    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    change(document)
    text = tomlkit.dumps(document)
    parse_config(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def save_setting(path: Path, dotted_key: str, value: Any) -> None:
    """Set one value (e.g. `theme` or `protocols."loopback/echo"`) keeping comments intact."""
    import tomlkit  # deferred: tomlkit, only when the config file is written

    def change(document: Any) -> None:
        *tables, leaf = dotted_key.split(".", 1) if "." in dotted_key else ("", dotted_key)
        target = document
        for table in tables:
            if table:
                if table not in target:
                    target[table] = tomlkit.table()
                target = target[table]
        target[leaf] = value

    edit_config(path, change)


def _mcp_servers_table(document: Any) -> Any:
    """`[mcp.servers]` of a tomlkit document, made (as super tables: only `[mcp.servers.NAME]`
    headers are written) when the file has none."""
    import tomlkit  # deferred: tomlkit, only when the config file is written

    if "mcp" not in document:
        document["mcp"] = tomlkit.table(is_super_table=True)
    if "servers" not in document["mcp"]:
        document["mcp"]["servers"] = tomlkit.table(is_super_table=True)
    return document["mcp"]["servers"]


def save_always_allow(path: Path, server: str, tool: str) -> None:
    """Add `tool` to `[mcp.servers.SERVER] always_allow` (the app's "a" twice). Only a server the
    file defines: the built-in demo server has no table to hold it (LookupError)."""

    def change(document: Any) -> None:
        servers = document.get("mcp", {}).get("servers", {})
        if server not in servers:
            raise LookupError(f"[mcp.servers.{server}] is not in {path}; only a configured server remembers its tools")
        table = servers[server]
        allowed = table.get("always_allow")
        if allowed is None:
            table["always_allow"] = [tool]
        elif tool not in allowed:
            allowed.append(tool)

    edit_config(path, change)


def add_mcp_servers(path: Path, servers: dict[str, dict[str, Any]], replace: bool = False) -> None:
    """Write `[mcp.servers.NAME]` tables (`mcp import`); a name the file already has is refused
    (ValueError naming them all, nothing written) unless `replace`."""
    import tomlkit  # deferred: tomlkit, only when the config file is written

    def change(document: Any) -> None:
        table = _mcp_servers_table(document)
        clashes = sorted(name for name in servers if name in table)
        if clashes and not replace:
            raise ValueError(f"{path} already has {', '.join(clashes)}: use --replace to overwrite")
        for name, settings in servers.items():
            entry = tomlkit.table()
            for key, value in settings.items():
                if isinstance(value, dict):
                    inline = tomlkit.inline_table()
                    inline.update(value)
                    value = inline
                entry[key] = value
            if name in table:
                del table[name]
            table[name] = entry

    edit_config(path, change)


def default_model_ref(config: Config, has_key) -> ModelRef:
    """The configured model, else the first provider with a key, else the offline loopback."""
    if config.default_model:
        return parse_model_ref(config.default_model)
    for provider_id in DEFAULT_ORDER:
        provider = config.catalog.providers.get(provider_id)
        if provider and has_key(provider):
            return ModelRef(provider_id, provider.default_model)
    return ModelRef("loopback", "echo")

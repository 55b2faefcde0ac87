"""The TOML config file in the platform config dir, and the catalogue it shapes.

Reading uses the stdlib parser (its errors name the line), then config_rules'
one validator, which also types every section: the rest of rtchat gets a `Config`
passed down and never reads the TOML itself. Writing a single setting back goes
through tomlkit so the user's comments and layout survive.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from rtchat.errors import ConfigFailure
from rtchat.catalog import BUILTIN, DEFAULT_ORDER, Catalog, ModelRef, parse_model_ref, provider_from_config
from rtchat.config_rules import Sections, line_of, read_settings
from rtchat.config_rules import AppSettings as AppSettings, NetworkSettings as NetworkSettings, Persona as Persona, VoiceSettings as VoiceSettings  # the sections, imported with Config

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
    return Config(path=path, catalog=catalog, warnings=findings.warnings, text=text, **vars(sections))


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path, catalog=Catalog())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    return parse_config(text, path)


def save_setting(path: Path, dotted_key: str, value: Any) -> None:
    """Set one value (e.g. `theme` or `protocols."loopback/echo"`) keeping comments intact."""
    import tomlkit  # deferred: tomlkit, only when the config file is written

    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    *tables, leaf = dotted_key.split(".", 1) if "." in dotted_key else ("", dotted_key)
    target = document
    for table in tables:
        if table:
            if table not in target:
                target[table] = tomlkit.table()
            target = target[table]
    target[leaf] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomlkit.dumps(document), encoding="utf-8")
    tmp.replace(path)


def default_model_ref(config: Config, has_key) -> ModelRef:
    """The configured model, else the first provider with a key, else the offline loopback."""
    if config.default_model:
        return parse_model_ref(config.default_model)
    for provider_id in DEFAULT_ORDER:
        provider = config.catalog.providers.get(provider_id)
        if provider and has_key(provider):
            return ModelRef(provider_id, provider.default_model)
    return ModelRef("loopback", "echo")

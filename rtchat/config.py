"""The TOML config file in the platform config dir, and the catalogue it shapes.

Reading uses the stdlib parser (its errors name the line); writing a single
setting back goes through tomlkit so the user's comments and layout survive.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from rtchat.errors import ConfigFailure
from rtchat.catalog import BUILTIN, DEFAULT_ORDER, Catalog, ModelRef, parse_model_ref, provider_from_config
from rtchat.config_rules import check_settings

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


@dataclass
class NetworkSettings:
    connect_timeout: float = 10.0
    stall_timeout: float = 60.0  # seconds with no decoded event (keep-alives and drips do not count)
    retries: int = 3  # tries in all, before the first token only
    max_retry_wait: float = 30.0
    first_token_timeout: float = 0.0  # seconds from the request to the first piece of the answer; 0: only the stall timeout
    total_timeout: float = 0.0  # seconds for a whole answer; 0: no limit
    max_answer_chars: int = 4_000_000  # an answer is stopped (partial kept) at this many characters


@dataclass(frozen=True)
class Persona:
    """A named way to start a conversation: its system prompt, and optionally a model and an effort."""

    name: str
    prompt: str | None = None
    model: str | None = None
    effort: str | None = None


@dataclass
class Config:
    path: Path
    catalog: Catalog
    default_model: str | None = None
    theme: str | None = None
    network: NetworkSettings = field(default_factory=NetworkSettings)
    efforts: dict[str, str] = field(default_factory=dict)  # "provider/model" -> effort
    protocols: dict[str, str] = field(default_factory=dict)  # "provider/model" -> protocol
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key
    personas: dict[str, Persona] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # unknown keys, each naming its line


def _section(data: dict, name: str, path: Path) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return value


def parse_config(text: str, path: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    findings = check_settings(data, text, path, {f.name for f in fields(NetworkSettings)})
    if findings.problems:
        first, more = findings.problems[0], len(findings.problems) - 1
        extra = f" (and {more} more: see `rtchat config check`)" if more else ""
        raise ConfigError(first + extra, findings.problems)
    catalog = Catalog()
    for name, table in _section(data, "providers", path).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [providers.{name}] must be a table")
        try:
            catalog.providers[name] = provider_from_config(name, table, BUILTIN.get(name))
        except ValueError as exc:
            raise ConfigError(f"{path}: [providers.{name}]: {exc}") from None
    network = NetworkSettings()
    for key, value in _section(data, "network", path).items():
        if hasattr(network, key):  # checked above: in range; unknown keys were warned about
            setattr(network, key, type(getattr(network, key))(value))
    default_model = data.get("default_model")
    if default_model is not None:
        try:
            parse_model_ref(str(default_model))
        except ValueError as exc:
            raise ConfigError(f"{path}: default_model: {exc}") from None
    return Config(
        path=path,
        catalog=catalog,
        default_model=default_model,
        theme=data.get("theme"),
        network=network,
        efforts={str(k): str(v) for k, v in _section(data, "efforts", path).items()},
        protocols={str(k): str(v) for k, v in _section(data, "protocols", path).items()},
        keys={str(k): str(v) for k, v in _section(data, "keys", path).items()},
        personas={
            str(name): Persona(str(name), table.get("prompt"), table.get("model"), table.get("effort"))
            for name, table in _section(data, "personas", path).items()
            if isinstance(table, dict)
        },
        raw=data,
        warnings=findings.warnings,
    )


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

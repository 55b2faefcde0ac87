"""Remember a choice in the config file; a failure to write is a warning, never a crash."""

from __future__ import annotations

from collections.abc import Callable

from rtchat.config import Config, save_setting

Warn = Callable[[str], None]


class Settings:
    def __init__(self, config: Config, warn: Warn) -> None:
        self.config = config
        self.warn = warn

    def save(self, key: str, value: str) -> None:
        try:
            save_setting(self.config.path, key, value)
        except OSError as exc:
            self.warn(f"could not save {key} to {self.config.path}: {exc}")

"""What several commands share: loading the config with a clear message on failure."""

from __future__ import annotations

import sys

from rtchat.config import Config, ConfigError, load_config


def fail(message: str, code: int = 2) -> int:
    print(f"rtchat: {message}", file=sys.stderr)
    return code


def load_config_or_report() -> Config | None:
    """The config, its warnings said on stderr; None (after saying why) when it is unusable."""
    try:
        config = load_config()
    except ConfigError as exc:
        fail(str(exc))
        return None
    for warning in config.warnings:
        print(f"rtchat: warning: {warning}", file=sys.stderr)
    return config

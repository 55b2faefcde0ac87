"""What several commands share: loading the config with a clear message on failure."""

from __future__ import annotations

import sys

from rtchat.config import Config, ConfigError, load_config


def fail(message: str, code: int = 2) -> int:
    print(f"rtchat: {message}", file=sys.stderr)
    return code


SQLITE_MAX_INT = 2**63 - 1  # SQLite's integers are signed 64-bit: no row id or LIMIT is larger


def stored_id(conv_id: int) -> int | None:
    """`conv_id` when the history could hold it; None for ids past SQLite's integers (an
    OverflowError inside SQLite otherwise), which name no conversation."""
    return conv_id if 0 < conv_id <= SQLITE_MAX_INT else None


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

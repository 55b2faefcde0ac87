"""`rtchat config path|check`."""

from __future__ import annotations

from rtchat.commands.common import fail
from rtchat.config import ConfigError, config_path, load_config


def run_config(args) -> int:
    if args.config_command == "path":
        print(config_path())
        return 0
    try:
        config = load_config()
    except ConfigError as exc:
        return fail(str(exc))
    state = "exists" if config.path.exists() else "does not exist (defaults in use)"
    print(f"{config.path}: {state}; {len(config.catalog.providers)} providers")
    return 0

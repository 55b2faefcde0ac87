"""`rtchat config path|check`: check reports every problem the file has, each with its line."""

from __future__ import annotations

import sys

from rtchat.commands.common import fail
from rtchat.config import Config, ConfigError, config_path, load_config
from rtchat.theme_names import theme_names
from rtchat.ui.keymap import read_keymap


def theme_problem(config: Config) -> str | None:
    """A configured theme the app could not find (it would fall back to the default)."""
    if not config.theme:
        return None
    names = theme_names(config.path)
    if config.theme in names:
        return None
    return (
        f"{config.where((), 'theme')}: theme {config.theme!r} does not exist (themes: {', '.join(sorted(names))}; "
        f"add your own as TOML files in {config.path.parent / 'themes'})"
    )


def run_config(args) -> int:
    if args.config_command == "path":
        print(config_path())
        return 0
    try:
        config = load_config()
    except ConfigError as exc:
        for problem in exc.problems:
            fail(problem)
        return 2
    for warning in config.warnings + read_keymap(config).warnings:
        print(f"rtchat: warning: {warning}", file=sys.stderr)
    problem = theme_problem(config)
    if problem:
        return fail(problem)
    state = "exists" if config.path.exists() else "does not exist (defaults in use)"
    print(f"{config.path}: {state}; {len(config.catalog.providers)} providers")
    return 0

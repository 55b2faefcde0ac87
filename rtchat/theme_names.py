"""The theme names rtchat can apply, without loading Textual's app machinery.

`rtchat config check` needs them to say that `theme = "rtchat-dark"` names no
theme. Found the way the app finds them (ui/themes.py): bundled `themes/*.toml`,
then the config dir's `themes/*.toml`, each named by its `name` or its file stem,
plus Textual's built-in themes.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "themes"


def theme_dirs(config_path: Path) -> list[Path]:
    return [BUNDLED_DIR, config_path.parent / "themes"]


def _name(path: Path) -> str | None:
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("name", path.stem)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # the app skips an unreadable theme file too
    return name.strip() if isinstance(name, str) and name.strip() else None


def theme_names(config_path: Path) -> set[str]:
    from textual.theme import BUILTIN_THEMES  # heavy: only `config check` asks

    names = set(BUILTIN_THEMES)
    for directory in theme_dirs(config_path):
        if directory.is_dir():
            names.update(name for path in sorted(directory.glob("*.toml")) if (name := _name(path)))
    return names

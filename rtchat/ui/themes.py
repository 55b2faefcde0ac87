"""Themes are TOML files (no code): loaded by name from themes/ and the user's config dir.

A malformed file never stops the app: it is skipped with a message naming the
file and line, and the default theme is used.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from rtchat.errors import ConfigFailure

DEFAULT_THEME = "dark"
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "themes"
COLOR_FIELDS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background", "surface", "panel", "boost")
REQUIRED = ("primary",)


class ThemeFileError(ConfigFailure, ValueError):
    """A theme file is unusable; the message names the file and line."""


@dataclass
class ThemeCatalog:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    sources: dict[str, Path] = field(default_factory=dict)


def theme_dirs(config_path: Path | None) -> list[Path]:
    """Bundled themes first; the user's own (same name wins) after."""
    dirs = [BUNDLED_DIR]
    if config_path is not None:
        dirs.append(config_path.parent / "themes")
    return dirs


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def parse_theme(text: str, path: Path) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path}: not valid TOML: {exc}") from None
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{path}:{_line_of(text, 'name')}: name must be a non-empty string")
    for key in REQUIRED:
        if key not in data:
            raise ThemeFileError(f"{path}:1: missing required color {key!r}")
    colors: dict[str, str] = {}
    for key in COLOR_FIELDS:
        if key in data:
            value = data[key]
            try:
                Color.parse(value)
            except (ColorParseError, TypeError, ValueError):
                raise ThemeFileError(f"{path}:{_line_of(text, key)}: {key} = {value!r} is not a color") from None
            colors[key] = value
    unknown = set(data) - set(COLOR_FIELDS) - {"name", "dark", "variables"}
    if unknown:
        key = sorted(unknown)[0]
        raise ThemeFileError(f"{path}:{_line_of(text, key)}: unknown setting {key!r}")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{path}:{_line_of(text, 'dark')}: dark must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeFileError(f"{path}:{_line_of(text, 'variables')}: [variables] must map names to strings")
    return Theme(name=name.strip(), dark=dark, variables=dict(variables), **colors)


def load_themes(dirs: list[Path]) -> ThemeCatalog:
    catalog = ThemeCatalog()
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = parse_theme(path.read_text(encoding="utf-8"), path)
            except ThemeFileError as exc:
                catalog.problems.append(str(exc))
                continue
            except (OSError, UnicodeDecodeError) as exc:
                catalog.problems.append(f"{path}:1: cannot read the theme file: {exc}")
                continue
            catalog.themes[theme.name] = theme
            catalog.sources[theme.name] = path
    return catalog

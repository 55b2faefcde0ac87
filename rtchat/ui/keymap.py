"""The user's `[keys]` table read against the app's bindings: what is applied and what is wrong.

Textual ignores a keymap entry whose id no binding has, and a key name it does not know
simply never matches: both did nothing, silently. Here each such entry becomes one warning
naming its line (for `rtchat config check` and a notice when the app starts), and the ids
an earlier README gave (`regenerate`, `edit_prompt`) still work for this release.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

from rtchat.config import Config
from rtchat.ui.bindings import SECTIONS

# Ids the README gave before it named the app's own ones: accepted for this release.
ALIASES = {"regenerate": "regenerate_message", "edit_prompt": "edit_message"}
MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
NAMED_KEYS = {key.value for key in Keys if "+" not in key.value and not key.value.startswith("<")}


def binding_ids() -> set[str]:
    return {binding.id for _title, bindings in SECTIONS for binding in bindings if binding.id}


def _known_name(name: str) -> bool:
    if name in NAMED_KEYS or key_to_character(name) is not None:
        return True
    original = {friendly: unicode for unicode, friendly in KEY_NAME_REPLACEMENTS.items()}.get(name)
    if original is None:
        return False
    try:
        unicodedata.lookup(original.replace("_", " ").upper())
    except KeyError:
        return False
    return True


def key_problem(keys: str) -> str | None:
    """Why Textual would never match `keys` ("ctrl+s", "f10,ctrl+x"), or None when it can."""
    for key in (part.strip() for part in keys.split(",")):
        *modifiers, name = key.split("+")
        if not key or not name or any(m not in MODIFIERS for m in modifiers):
            return f"{key!r} is not a key name"
        if not _known_name(name):
            return f"{name!r} is not a key Textual knows (e.g. \"f10\", \"ctrl+s\", \"a\", \"left_square_bracket\")"
    return None


@dataclass
class Keymap:
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key, as Textual's keymap takes it
    warnings: list[str] = field(default_factory=list)  # each names the config file and line


def read_keymap(config: Config) -> Keymap:
    """The `[keys]` entries that can work (old ids renamed) and a warning for each that cannot."""
    known, found = binding_ids(), Keymap()
    for name, keys in config.keys.items():
        where = config.where(("keys",), name)
        binding = ALIASES.get(name, name)
        if binding not in known:
            found.warnings.append(f"{where}: [keys] {name} is not a binding id (ignored; F1 lists every binding with its id)")
            continue
        problem = key_problem(keys)
        if problem:
            found.warnings.append(f"{where}: [keys] {name}: {problem} (ignored)")
            continue
        if binding != name:
            found.warnings.append(f"{where}: [keys] {name} is now called {binding} (the old name works in this release)")
        found.keys[binding] = keys
    return found

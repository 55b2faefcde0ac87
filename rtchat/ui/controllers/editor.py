"""Write a long prompt in the user's own editor ($VISUAL, else $EDITOR, else vi).

The text goes to a temporary file, the editor runs on it in the foreground (the
caller hands it the terminal), and what comes back is the file's text with one
trailing newline taken off, nothing else changed. The draft is written with that
newline: a text file ends with one, so a line an editor or a script appends starts
on a line of its own instead of being glued to the draft's last line.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from rtchat.errors import UnavailableFailure

Run = Callable[[list[str]], int]  # runs a command in the foreground; its exit code


class NoTerminal(UnavailableFailure):
    """The terminal cannot be handed to the editor (a `Run` raises it)."""


def editor_command(env: Mapping[str, str]) -> list[str]:
    """The editor the user asked for, with its own arguments (`code --wait`)."""
    for name in ("VISUAL", "EDITOR"):
        words = shlex.split(env.get(name, "") or "")
        if words:
            return words
    return ["vi"]


def edit_text(text: str, run: Run, env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(the edited text, None), or (None, the one line that says why the input is unchanged)."""
    command = editor_command(os.environ if env is None else env)
    handle, name = tempfile.mkstemp(prefix="rtchat-prompt-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text + "\n")
        try:
            code = run([*command, str(path)])
        except OSError as exc:
            return None, f"cannot start the editor {command[0]!r}: {exc.strerror or exc}; set $VISUAL or $EDITOR"
        if code != 0:
            return None, f"the editor {command[0]!r} exited with status {code}; the input is unchanged"
        edited = path.read_bytes().decode("utf-8", "replace")
    finally:
        path.unlink(missing_ok=True)
    return edited.removesuffix("\n"), None  # the one newline the draft was written with

"""Teach Textual's input parser that ESC CR is alt+enter, so alt+enter adds a line.

Textual 8 reads ESC CR (what terminals send for alt+enter) as a plain Enter,
which sends the message. Its parser maps whole sequences through
ANSI_SEQUENCES_KEYS, whose tuples hold objects with a `.value` key name; one
entry makes the sequence arrive as the key "alt+enter" the input binds.
"""

from __future__ import annotations

from enum import Enum

from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

ALT_ENTER = "\x1b\r"


class ExtraKey(Enum):
    ALT_ENTER = "alt+enter"


def install() -> None:
    ANSI_SEQUENCES_KEYS.setdefault(ALT_ENTER, (ExtraKey.ALT_ENTER,))  # type: ignore[arg-type]

"""Teach Textual's input parser that ESC CR is alt+enter, so alt+enter adds a line.

Textual 8 reads ESC CR (what terminals send for alt+enter) as a plain Enter,
which sends the message. One entry in its parser's table of sequences (private:
see rtchat.compat) makes the sequence arrive as the key "alt+enter" the input binds.
"""

from __future__ import annotations

from rtchat.compat import ExtraKey, add_key_sequence

ALT_ENTER = "\x1b\r"


def install() -> None:
    add_key_sequence(ALT_ENTER, ExtraKey.ALT_ENTER)

"""Model output is data: make it inert before it reaches a terminal.

ESC, the other C0 controls (except newline and tab), DEL and the C1 controls
would let a model set the clipboard (OSC 52), retitle the window or clear the
screen. ESC becomes a visible `␛` so the user can see something was there; the
others become U+FFFD. Carriage returns are dropped (they could overwrite a line).
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\x1b":
        return "␛"
    if char == "\r":
        return ""
    return "\ufffd"


def terminal_safe(text: str) -> str:
    return _CONTROL.sub(_replace, text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def json_line_safe(line: str) -> str:
    """`json.dumps` leaves DEL and C1 raw under ensure_ascii=False; escape them losslessly."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)

"""Model output is data: make it inert before it reaches a terminal, a clipboard or a parser.

ESC, the other C0 controls (except newline and tab), DEL and the C1 controls
would let a model set the clipboard (OSC 52), retitle the window or clear the
screen. ESC becomes a visible `␛` so the user can see something was there; the
others become U+FFFD. Carriage returns are dropped (they could overwrite a line).

Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069)
reorder everything up to their terminator: the Trojan Source trick that makes
shown code differ from the code that runs. They become a visible `[U+202E]`.
The marks U+200E, U+200F and U+061C stay: they are zero-width letters of no
direction span (they only settle the side of neighbouring punctuation, cannot
reorder letters) and ordinary Hebrew and Arabic text uses them. ZWJ stays too
(emoji sequences).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\x1b":
        return "␛"
    if char == "\r":
        return ""
    if char > "\x9f":
        return f"[U+{ord(char):04X}]"
    return "\ufffd"


def terminal_safe(text: str) -> str:
    """Text to show: no control can act, bidi controls are named."""
    return _CONTROL.sub(_replace, text)


def clipboard_safe(text: str) -> str:
    """Text to copy, inert the way the screen is: a pasted `ESC[201~` (or C1 CSI `\\x9b201~`)
    can no longer end a shell's bracketed paste and run what follows."""
    return terminal_safe(text)


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\u2028\u2029{_BIDI}]")


def json_line_safe(line: str) -> str:
    """`json.dumps` leaves DEL, C1 and bidi controls raw under ensure_ascii=False; escape them losslessly."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def finite(data: Any) -> Any:
    """JSON has no NaN or infinity: such numbers become null (the provider did not say anything usable)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(value) for value in data]
    return data


def strict_json(data: Any, indent: int | None = None) -> str:
    """RFC 8259 text for everything rtchat writes: non-finite numbers as null, readable
    non-ASCII, and no raw DEL, C1, line separator or bidi control to reach a terminal."""
    return json_line_safe(json.dumps(finite(data), ensure_ascii=False, allow_nan=False, indent=indent))

"""Take a bracketed paste whole, not a character at a time.

Textual 8's input parser steps a generator once per character, also through a
bracketed paste: a 5 MB paste kept its input thread (and the GIL) busy ~11 s,
and the keys typed after it waited behind it. This parser finds the paste's end
marker with `str.find` and hands everything between the markers over as one
`Paste`, as the stock parser would; all other input goes to the stock parser.
A start marker cut in two by the terminal's reads leaves that paste to the stock
parser (slow, but the same events).

Textual's parser class and the drivers' choice of it are private: both go
through rtchat.compat.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual import events
from textual.message import Message

from rtchat import compat

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"


def end_marker_start(tail: str) -> int:
    """Where in `tail` a split end marker may begin (len(tail) when none may)."""
    for size in range(min(len(PASTE_END) - 1, len(tail)), 0, -1):
        if PASTE_END.startswith(tail[-size:]):
            return len(tail) - size
    return len(tail)


class FastPasteParser(compat.xterm_parser()):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pasted: list[str] | None = None  # inside a paste: the text so far
        self._held = ""  # the end of the last chunk, which may be the start of the end marker

    def feed(self, data: str) -> Iterator[Message]:  # type: ignore[override]
        if not data:  # end of input: the stock parser finishes what it holds
            yield from super().feed(data)
            return
        while self._pasted is not None or PASTE_START in data:
            if self._pasted is None:
                start = data.find(PASTE_START)
                if start:
                    yield from super().feed(data[:start])
                self._pasted, data = [], data[start + len(PASTE_START) :]
            data, self._held = self._held + data, ""
            end = data.find(PASTE_END)
            if end == -1:
                keep = end_marker_start(data)
                self._pasted.append(data[:keep])
                self._held = data[keep:]
                return
            self._pasted.append(data[:end])
            # NUL dropped as the stock parser does (textual#1661); ESC made inert (the stock parser
            # turned an ESC sequence inside a paste into keys typed before the paste).
            text = "".join(self._pasted).replace("\x00", "").replace("\x1b", "␛")
            self._pasted, data = None, data[end + len(PASTE_END) :]
            yield events.Paste(text)
        if data:
            yield from super().feed(data)


def install() -> None:
    """The terminal drivers parse input with FastPasteParser from now on."""
    compat.use_input_parser(FastPasteParser)

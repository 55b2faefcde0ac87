"""Text in, SSE lines out, in any split: the line rule of the event-stream format.

A line ends at CRLF, LF or CR (and nowhere else: not at the other Unicode line
breaks `str.splitlines` knows). A CR at the end of one chunk may be the first
half of a CRLF, so the LF that may follow it is skipped. httpx-sse has such a
splitter but keeps it private, so this small one is ours.
"""

from __future__ import annotations

import re

_LINE_END = re.compile(r"\r\n?|\n")


class LineSplitter:
    """Feed text in any split; get complete lines back, without their line ends."""

    def __init__(self) -> None:
        self._partial: list[str] = []  # pieces of the unfinished line, joined once it ends
        self.pending_chars = 0  # length of the unfinished line
        self._after_cr = False

    def split(self, text: str) -> list[str]:
        if not text:
            return []
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF cut between chunks
        self._after_cr = text.endswith("\r")
        *lines, rest = text.split("\n") if "\r" not in text else _LINE_END.split(text)  # str.split is 2x faster
        if lines:
            lines[0] = "".join(self._partial) + lines[0]
            self._partial, self.pending_chars = [], 0
        if rest:
            self._partial.append(rest)
            self.pending_chars += len(rest)
        return lines

    def flush(self) -> list[str]:
        """End of text: the unfinished line, if any, as a line."""
        lines = ["".join(self._partial)] if self._partial else []
        self._partial, self.pending_chars, self._after_cr = [], 0, False
        return lines

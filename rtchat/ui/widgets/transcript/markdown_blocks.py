"""Where a growing Markdown answer may be cut, found by reading each line once.

Text before a *block* cut (a blank line outside a code fence, followed by a
line that cannot continue the block above) cannot change meaning when more text
arrives, so it is rendered once and never again. Inside one long block there
are cuts too, each with the `context` the rest needs in front to mean the same:
a table may be cut between rows (the rest needs the header and delimiter rows),
a fenced code block between lines (the rest needs the opening fence), any other
block between two lines that start at column 0 (a list between items, a quote
between lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")  # would turn the line above into a heading


@dataclass(frozen=True)
class Cut:
    """`text[:at]` may be rendered on its own; `kind` says how the rest continues."""

    at: int
    kind: str  # "block" (between blocks) | "row" | "code" | "line" (inside one block)
    context: str = ""  # what the rest needs in front of it: table header rows, the opening fence


class BlockScanner:
    """Reads complete lines of a growing text once and remembers every cut after `start`."""

    def __init__(self, start: int = 0) -> None:
        self.position = start  # start of the first line not read yet
        self.cuts: list[Cut] = []
        self._fence: str | None = None
        self._opener = ""  # the opening fence line, when it stands at column 0
        self._pending_blank_end: int | None = None  # just after the last blank line(s) outside a fence
        self._block_lines: list[str] = []  # the first two lines of the current block (table detection)
        self._table = ""  # header and delimiter rows while inside a table
        self._code_lines = 0  # lines read inside the open fence
        self._table_rows = 0  # data rows read in the open table
        self._previous_blank = True

    def feed(self, text: str) -> None:
        """Read the complete lines added since the last call (`text` only ever grows)."""
        position = self.position
        while True:
            newline = text.find("\n", position)
            if newline < 0:
                break
            self._line(text[position:newline], position, newline + 1)
            position = newline + 1
        self.position = position

    def peek(self, text: str) -> Cut | None:
        """A block cut decided by the first character of the line still growing, if any."""
        rest = text[self.position : self.position + 1]
        if self._fence is None and self._pending_blank_end is not None and rest and not rest.isspace():
            return Cut(self._pending_blank_end, "block")
        return None

    def _line(self, line: str, start: int, end: int) -> None:
        blank = not line.strip()
        if self._fence is not None:
            stripped = line.strip()
            if stripped.startswith(self._fence) and set(stripped) <= set(self._fence[0]):
                self._fence = None
            elif self._opener and not blank and not self._previous_blank and self._code_lines:
                self.cuts.append(Cut(start, "code", self._opener))
            self._code_lines += 1
            self._previous_blank = blank
            return
        match = _FENCE.match(line)
        if blank:
            self._pending_blank_end = end
            self._block_lines = []
            self._table = ""
        else:
            starts_block = self._pending_blank_end is not None and not line[:1].isspace()
            if starts_block:
                self.cuts.append(Cut(self._pending_blank_end, "block"))
                self._block_lines = []
                self._table = ""
            elif not self._previous_blank and not line[:1].isspace() and not match:
                self._inside_block(line, start)
            self._pending_blank_end = None
            if len(self._block_lines) < 2:
                self._block_lines.append(line)
                if len(self._block_lines) == 2 and self._block_lines[0].lstrip().startswith("|") and _TABLE_DELIMITER.match(line):
                    self._table = "\n".join(self._block_lines) + "\n"
                    self._table_rows = 0
        if match:
            self._fence = match.group(1)[0] * len(match.group(1))
            self._opener = line + "\n" if not line[:1].isspace() else ""
            self._code_lines = 0
            self._block_lines = []
            self._table = ""
        self._previous_blank = blank

    def _inside_block(self, line: str, start: int) -> None:
        """A cut between two lines of one block (the line before is not blank)."""
        if self._table:
            if line.startswith("|") and self._table_rows:
                self.cuts.append(Cut(start, "row", self._table))
            self._table_rows += 1
            return
        if len(self._block_lines) >= 2 and not self._block_lines[0].lstrip().startswith("|") and not _UNDERLINE.match(line):
            self.cuts.append(Cut(start, "line"))


def final_boundary(text: str, start: int = 0) -> int:
    """Index just after the last blank line (outside a fence) in `text[start:]` that is safe to cut at.

    `start` must itself be a point outside any fence (a previous boundary or 0).
    Returns `start` when nothing new is final.
    """
    scanner = BlockScanner(start)
    scanner.feed(text)
    cuts = [cut.at for cut in scanner.cuts if cut.kind == "block"]
    peeked = scanner.peek(text)
    if peeked is not None:
        cuts.append(peeked.at)
    return max(cuts, default=start)

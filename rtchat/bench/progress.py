"""The bench's progress on stderr: a redrawn bar on a terminal, sparse plain lines otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 28


class ProgressBar:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_tenth = -1
        self.drawn = False

    def __call__(self, done: int, total: int, label: str) -> None:
        total = max(total, done, 1)
        if self.tty:
            filled = round(BAR_WIDTH * done / total)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            self.stream.write(f"\r\x1b[2K{bar} {done}/{total} {label}")
            self.drawn = True
        else:
            tenth = done * 10 // total
            if tenth == self.last_tenth and done != total:
                return
            self.last_tenth = tenth
            self.stream.write(f"bench: {done}/{total} turns ({done * 100 // total}%) {label}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

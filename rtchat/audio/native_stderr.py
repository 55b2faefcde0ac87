"""Native libraries' stderr kept off the app's screen, for as long as the app owns the terminal.

ALSA and PortAudio write straight to file descriptor 2 from C ("ALSA lib pcm.c:8570:
(snd_pcm_recover) underrun occurred"), across the full-screen app. Python cannot catch that
at the `sys.stderr` level, so descriptor 2 itself is pointed at a pipe: a thread reads its lines
into the debug log (when there is one) and counts the underruns, which the voice status shows.
The terminal keeps its own descriptor, which `sys.__stderr__` (where Textual draws) now writes to.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

Log = Callable[[str, str], None]  # (kind, text): the debug log's `write`
KEPT_LINES = 20  # the last lines kept in memory, for a bug report without --debug


class NativeStderr:
    """`with NativeStderr(log):` descriptor 2 goes to `log` (else nowhere) until the block ends."""

    def __init__(self, log: Log | None = None) -> None:
        self.log = log
        self.lines: list[str] = []  # the last KEPT_LINES lines, newest last
        self.underruns = 0  # ALSA's "underrun occurred": the speaker ran dry
        self._saved_fd: int | None = None
        self._saved_streams: tuple[TextIO | None, TextIO | None] = (None, None)
        self._terminal: TextIO | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> NativeStderr:
        try:
            sys.__stderr__.flush() if sys.__stderr__ is not None else None
            self._saved_fd = os.dup(2)
        except (OSError, ValueError):
            return self  # no descriptor 2 to guard (a closed stderr): nothing to do
        read_fd, write_fd = os.pipe()
        self._terminal = os.fdopen(os.dup(self._saved_fd), "w", encoding="utf-8", errors="replace", buffering=1)
        self._saved_streams = (sys.__stderr__, sys.stderr)
        sys.__stderr__ = sys.stderr = self._terminal  # Textual's driver and tracebacks: still the terminal
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._reader = threading.Thread(target=self._read, args=(read_fd,), name="native-stderr", daemon=True)
        self._reader.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._saved_fd is None:
            return
        os.dup2(self._saved_fd, 2)  # the pipe's last writer closes: the reader sees its end
        os.close(self._saved_fd)
        self._saved_fd = None
        if self._reader is not None:
            self._reader.join(timeout=0.5)  # a child that inherited descriptor 2 may hold the pipe open: never wait long
        sys.__stderr__, sys.stderr = self._saved_streams
        if self._terminal is not None:
            self._terminal.close()

    def _read(self, read_fd: int) -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            for raw in pipe:
                self._line(raw.decode("utf-8", "replace").rstrip("\n"))

    def _line(self, line: str) -> None:
        if "underrun" in line:
            self.underruns += 1
        self.lines = [*self.lines[-(KEPT_LINES - 1):], line]
        if self.log is not None:
            try:
                self.log("stderr", line)
            except (OSError, ValueError):
                self.log = None  # the log closed: the lines are still counted and kept

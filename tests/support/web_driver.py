"""Speaking to an app run under Textual's web driver as textual-serve does: packets on stdin and stdout."""

from __future__ import annotations

import subprocess
import threading

READY = b"__GANGLION__\n"  # the web driver's first line: the app started


def packet(kind: bytes, payload: bytes) -> bytes:
    """One packet as textual-serve writes it: b"D" (terminal input) or b"M" (JSON meta), a 4-byte big-endian size, the payload."""
    return kind + len(payload).to_bytes(4, "big") + payload


def read_until_ready(child: subprocess.Popen, lines: int = 50) -> None:
    """Read the app's stdout up to the driver's ready line, as textual-serve does before it sends
    anything, then keep reading it (as the server does) on a thread: a full pipe would stop the app."""
    assert child.stdout is not None
    for _ in range(lines):
        line = child.stdout.readline()
        if line == READY:
            threading.Thread(target=_drain, args=(child.stdout,), daemon=True).start()
            return
        assert line, f"the app ended before it started: {child.stderr.read().decode() if child.stderr else ''}"
    raise AssertionError("the app never said it started")


def _drain(stream) -> None:
    while stream.read(65536):
        pass

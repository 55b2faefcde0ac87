"""Speaking to an app run under Textual's web driver as textual-serve does: packets on stdin and stdout."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

from tests.support.env import isolated_env, rtchat_cmd

READY = b"__GANGLION__\n"  # the web driver's first line: the app started


def packet(kind: bytes, payload: bytes) -> bytes:
    """One packet as textual-serve writes it: b"D" (terminal input) or b"M" (JSON meta), a 4-byte big-endian size, the payload."""
    return kind + len(payload).to_bytes(4, "big") + payload


def start_served_app(tmp_path: Path, model: str, **env: str) -> subprocess.Popen:
    """`rtchat --model MODEL` started as textual-serve starts a tab's app: under Textual's web driver, 80x24,
    its input and screen on pipes; in `isolated_env(tmp_path)`."""
    environment = isolated_env(
        tmp_path, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", COLUMNS="80", ROWS="24",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", **env,
    )
    return subprocess.Popen(rtchat_cmd("--model", model), env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


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


def flushed_answer(database: Path) -> str:
    """The answer text the app has flushed to the history so far ('' before its first flush)."""
    if not database.exists():
        return ""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        try:
            rows = conn.execute(
                "SELECT c.text FROM answer_chunks c JOIN messages m ON m.id = c.message_id WHERE m.role = 'assistant' ORDER BY c.id"
            ).fetchall()
        except sqlite3.OperationalError:  # the app is still making its tables
            return ""
    return "".join(text for (text,) in rows)


def history_opened(database: Path) -> bool:
    """The app has opened its history: that is after its first frame, its input focused."""
    if not database.exists():
        return False
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'answer_chunks'").fetchone() == (1,)


def wait_until(condition, child: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        assert time.monotonic() < deadline, what
        time.sleep(0.1)  # poll interval: the history file offers nothing to wait on

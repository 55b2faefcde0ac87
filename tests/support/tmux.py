"""The real `rtchat` process in a terminal (tmux): start it, send keys, read the screen."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.support.env import KEY_VARS

RTCHAT = Path(sys.executable).parent / "rtchat"


def tmux(session: str, *args: str) -> str:
    """tmux on the session's own server (`-L`, a socket named after it): tests on other
    pytest-xdist workers, and the developer's own tmux, never see it."""
    return subprocess.run(["tmux", "-L", session, *args], capture_output=True, text=True, check=False).stdout


def screen(session: str) -> str:
    return tmux(session, "capture-pane", "-p", "-t", session)


def wait_screen(session: str, predicate, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = screen(session)
        if predicate(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"screen never matched; last screen:\n{text}")
        time.sleep(0.05)  # the poll interval: the pane offers nothing to wait on (a capture is ~5 ms of tmux)


def start(tmp_path, model: str, width: int, height: int, **env: str) -> str:
    session = f"rtchat-test-{uuid.uuid4().hex[:8]}"
    env_parts = [f"RTCHAT_{n}_DIR={tmp_path / n.lower()}" for n in ("CONFIG", "DATA", "STATE", "CACHE")]
    env_parts += ["PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring", "TERM=xterm-256color"]
    env_parts += [f"{name}={value}" for name, value in env.items()]
    unset = " ".join(f"-u {name}" for name in KEY_VARS)
    command = f"env {unset} {' '.join(env_parts)} {RTCHAT} --model {model}; echo RTCHAT-EXITED-$?; sleep 30"
    tmux(session, "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command)
    return session

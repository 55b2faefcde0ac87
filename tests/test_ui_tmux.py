"""The real `rtchat` process in tmux: type, see the streamed answer, ctrl+c interrupts, ctrl+q quits."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.env import KEY_VARS

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
RTCHAT = Path(sys.executable).parent / "rtchat"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_screen(session: str, predicate, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = screen(session)
        if predicate(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"screen never matched; last screen:\n{text}")
        time.sleep(0.2)  # the poll interval: the pane offers nothing to wait on


def test_real_process_in_tmux(tmp_path):
    session = f"rtchat-test-{uuid.uuid4().hex[:8]}"
    env_parts = [f"RTCHAT_{n}_DIR={tmp_path / n.lower()}" for n in ("CONFIG", "DATA", "STATE", "CACHE")]
    env_parts += ["PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring", "TERM=xterm-256color"]
    unset = " ".join(f"-u {name}" for name in KEY_VARS)
    command = f"env {unset} {' '.join(env_parts)} {RTCHAT} --model loopback/echo; echo RTCHAT-EXITED-$?; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)
    try:
        wait_screen(session, lambda s: "loopback/echo" in s and "SSE" in s)
        tmux("send-keys", "-t", session, "-l", "hello tmux world")
        tmux("send-keys", "-t", session, "Enter")
        wait_screen(session, lambda s: "You said" in s and "hello tmux world" in s and "done" in s)
        # switch to lorem through the model picker, then interrupt it
        tmux("send-keys", "-t", session, "C-o")
        wait_screen(session, lambda s: "filter models" in s or "Switch model" in s)
        tmux("send-keys", "-t", session, "-l", "lorem")
        wait_screen(session, lambda s: "loopback/lorem" in s and "openai/gpt-5" not in s)  # the list is filtered
        tmux("send-keys", "-t", session, "Enter")
        wait_screen(session, lambda s: "loopback/lorem" in s and "Switch model" not in s)
        tmux("send-keys", "-t", session, "-l", "write")
        tmux("send-keys", "-t", session, "Enter")
        wait_screen(session, lambda s: "streaming" in s and "Loopback Document" in s)  # some of the answer is shown
        tmux("send-keys", "-t", session, "C-c")
        wait_screen(session, lambda s: "interrupted" in s)
        assert "RTCHAT-EXITED" not in screen(session)  # ctrl+c never quits
        tmux("send-keys", "-t", session, "C-q")
        wait_screen(session, lambda s: "RTCHAT-EXITED-0" in s)
    finally:
        tmux("kill-session", "-t", session)

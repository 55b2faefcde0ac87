"""Native libraries' stderr (ALSA, PortAudio) never reaches the app's screen: the real `rtchat` in
tmux, with a C-level write to descriptor 2 while it runs (standing in for ALSA: the one fake,
at the edge), which lands in the --debug log instead; and the guard on its own in a process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.env import KEY_VARS

ALSA_LINE = "ALSA lib pcm.c:8570:(snd_pcm_recover) underrun occurred"

STANDS_IN_FOR_ALSA = f'''
import os, sys
from rtchat.ui.screens.chat import ChatScreen
shown = ChatScreen.on_mount
async def on_mount(self):
    await shown(self)
    self.set_timer(0.3, lambda: os.write(2, b"{ALSA_LINE}\\n" * 2))  # as ALSA does: write(2) from C
ChatScreen.on_mount = on_mount
from rtchat.cli import main
sys.exit(main(sys.argv[1:]))
'''


def tmux(session: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", session, *args], capture_output=True, text=True, check=False).stdout


def wait_until(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.2)  # polling a pane and a file: neither offers anything to wait on
    return found


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_alsa_lines_go_to_the_debug_log_not_over_the_app(tmp_path):
    script = tmp_path / "app_with_alsa.py"
    script.write_text(STANDS_IN_FOR_ALSA)
    session = f"rtchat-stderr-{uuid.uuid4().hex[:8]}"
    env = [f"RTCHAT_{n}_DIR={tmp_path / n.lower()}" for n in ("CONFIG", "DATA", "STATE", "CACHE")]
    env += ["PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring", "TERM=xterm-256color"]
    unset = " ".join(f"-u {name}" for name in KEY_VARS)
    command = f"env {unset} {' '.join(env)} {sys.executable} {script} --debug --model loopback/echo; echo RTCHAT-EXITED-$?; sleep 30"
    tmux(session, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    try:
        pane = lambda: tmux(session, "capture-pane", "-p", "-t", session)  # noqa: E731
        wait_until(lambda: "loopback/echo" in pane() and "idle" in pane(), "the app is up")
        logs = tmp_path / "state" / "logs"
        logged = lambda: [p for p in logs.glob("wire-*.log") if p.read_text().count(ALSA_LINE) == 2]  # noqa: E731
        log = wait_until(logged, "both lines reach the debug log")[0]
        assert ALSA_LINE not in pane() and "ALSA" not in pane()
        assert "stderr" in log.read_text()
        tmux(session, "send-keys", "-t", session, "C-q")
        after = wait_until(lambda: "RTCHAT-EXITED-" in (text := pane()) and text, "the app quits")
        assert "RTCHAT-EXITED-0" in after and "ALSA" not in after
        assert "the redacted wire log of this session is in" in after  # stderr is the terminal's again
    finally:
        tmux(session, "kill-server")


GUARD = f'''
import json, os, sys
from rtchat.audio.native_stderr import NativeStderr
logged = []
with NativeStderr(lambda kind, text: logged.append([kind, text])) as native:
    os.write(2, b"{ALSA_LINE}\\nALSA lib other line\\n")
    sys.__stderr__.write("drawn on the terminal\\n")
print(json.dumps({{"underruns": native.underruns, "logged": logged}}))
sys.stderr.write("stderr again\\n")
'''


def test_the_guard_keeps_descriptor_2_and_lets_the_terminal_writer_through():
    done = subprocess.run([sys.executable, "-c", GUARD], capture_output=True, text=True, timeout=60, check=True)
    assert done.stderr == "drawn on the terminal\nstderr again\n"
    said = json.loads(done.stdout)
    assert said["underruns"] == 1
    assert said["logged"] == [["stderr", ALSA_LINE], ["stderr", "ALSA lib other line"]]

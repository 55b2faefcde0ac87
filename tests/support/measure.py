"""Run `rtchat ask` in its own process and measure what it held: its peak RSS, from the kernel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.support.env import isolated_env, rtchat_cmd

GIVE_UP = 180.0  # a run that never ends is killed so the test fails instead of hanging


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float


# The measured process is started by a small Python of its own: a child's ru_maxrss also counts the
# memory of the process it was forked from (Linux keeps the old mm's high-water mark at exec), and a
# pytest worker that has run a hundred tests holds ~300 MB. This starter holds ~10 MB, so what is read
# is rtchat's own peak. It writes the figure (KiB) to the file named first and exits as rtchat did.
MEASURING_STARTER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as figure:
    figure.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def ask_measured(tmp_path: Path, *args: str, config: str = "", **env: str) -> Measured:
    """`rtchat ask ARGS` with `config` as its config.toml; the exit code, output and peak RSS.

    `os.wait4` in the starter reads this one process's peak RSS (ru_maxrss, KiB on Linux),
    unlike RUSAGE_CHILDREN, which mixes in every other child of the test process."""
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(config)
    out_path, err_path, rss_path = tmp_path / "ask.out", tmp_path / "ask.err", tmp_path / "ask.rss"
    command = [sys.executable, "-c", MEASURING_STARTER, str(rss_path), *rtchat_cmd("ask", *args)]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(command, env=isolated_env(tmp_path, **env), stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        killer = threading.Timer(GIVE_UP, lambda: os.killpg(process.pid, signal.SIGKILL))
        killer.start()
        try:
            returncode = process.wait()
        finally:
            killer.cancel()
    peak_kib = int(rss_path.read_text()) if rss_path.exists() else 0
    return Measured(returncode, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"), peak_kib / 1024)

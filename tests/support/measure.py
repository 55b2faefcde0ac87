"""Run `rtchat ask` in its own process and measure what it held: its peak RSS, from the kernel."""

from __future__ import annotations

import os
import subprocess
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


def ask_measured(tmp_path: Path, *args: str, config: str = "", **env: str) -> Measured:
    """`rtchat ask ARGS` with `config` as its config.toml; the exit code, output and peak RSS.

    `os.wait4` reads this one child's peak RSS (ru_maxrss, KiB on Linux), unlike
    RUSAGE_CHILDREN, which mixes in every other child of the test process."""
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(config)
    out_path, err_path = tmp_path / "ask.out", tmp_path / "ask.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(rtchat_cmd("ask", *args), env=isolated_env(tmp_path, **env), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        killer = threading.Timer(GIVE_UP, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return Measured(process.returncode, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"), usage.ru_maxrss / 1024)

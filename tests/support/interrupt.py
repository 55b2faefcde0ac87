"""SIGINT an `rtchat ask --jsonl` process once it has printed some text; read back every event."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.support.env import in_the_foreground, isolated_env, rtchat_cmd


def interrupt_ask(tmp_path: Path, *args: str, after_texts: int = 3) -> tuple[int, list[dict], str]:
    """(exit code, all JSONL events, stderr) of `rtchat ask --jsonl ARGS` interrupted after `after_texts` text events."""
    proc = subprocess.Popen(
        rtchat_cmd("ask", "--jsonl", *args),
        env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=in_the_foreground,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines.append(proc.stdout.readline())
        if sum('"type": "text"' in line for line in lines) >= after_texts:
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=10)
    events = [json.loads(line) for line in lines + rest.splitlines() if line.strip()]
    return proc.returncode, events, err

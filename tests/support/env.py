"""An isolated environment for subprocess runs of `rtchat`: own dirs, no real keys; and such a run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "OLLAMA_API_KEY")
REPO = Path(__file__).resolve().parents[2]


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS and not k.startswith("RTCHAT_")}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"RTCHAT_{name}_DIR"] = str(tmp_path / name.lower())
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONUNBUFFERED"] = "1"
    # No OS keyring, as the `isolated` fixture; it also spares each process keyring's scan of every
    # installed package for backends (~0.1 s of CPU). A test's own backend comes in `extra`.
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    env.update(extra)
    return env


def in_the_foreground() -> None:
    """A `preexec_fn`: the child takes Ctrl-C (SIGINT) as a command a shell runs in the foreground.
    A test run started in the background (`scripts/test &`, some CI runners) inherits SIGINT
    ignored, as POSIX shells give background jobs; Python keeps an ignored SIGINT ignored, so a
    Ctrl-C test would wait out its timeout instead of testing what a user's Ctrl-C does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def rtchat_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "rtchat", *args]


def run_rtchat(tmp_path: Path, *args: str, input: str | None = None, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[str]:
    """`rtchat ARGS` as a process in `isolated_env(tmp_path, **extra)`, run to its end, output captured as text."""
    return subprocess.run(rtchat_cmd(*args), env=isolated_env(tmp_path, **extra), input=input, capture_output=True, text=True, timeout=timeout)


def write_config(tmp_path: Path, text: str) -> Path:
    """The config file an `isolated_env(tmp_path)` run reads, with `text`; its path."""
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text)
    return path


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound for a moment by the OS's choice, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

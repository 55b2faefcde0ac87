"""A real X server for a test (Xvfb on a display number it picks itself) and a real X clipboard
owner on it (`xclip -quiet`, which serves the selection until it is stopped).

Xvfb's `-displayfd` writes the display number once the server accepts clients, so two
workers never race for a number and nothing waits on a timer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def xvfb(width: int = 1280, height: int = 720) -> Iterator[str]:
    """A running Xvfb; yields its DISPLAY (":3"). Skips when Xvfb is not installed."""
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        number = b""
        while not number.endswith(b"\n"):
            chunk = os.read(read, 16)
            if not chunk:
                raise AssertionError(f"Xvfb exited before it was ready (code {server.wait()})")
            number += chunk
        yield f":{number.decode().strip()}"
    finally:
        os.close(read)
        server.terminate()
        server.wait()


@contextmanager
def clipboard_owner(display: str, data: bytes, target: str, folder: Path) -> Iterator[None]:
    """`data` on the X clipboard as `target` ("image/png", "UTF8_STRING"), served by a real xclip
    until the block ends. Skips when xclip is not installed."""
    if not shutil.which("xclip"):
        pytest.skip("xclip is not installed (apt-get install xclip)")
    source = folder / "clipboard.bin"
    source.write_bytes(data)
    owner = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "clipboard", "-t", target, "-i", str(source)],
        env=dict(os.environ, DISPLAY=display), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        said = owner.stdout.readline()  # printed once xclip owns the selection
        assert said.startswith(b"Waiting for selection requests"), said
        yield
    finally:
        owner.terminate()
        owner.wait()
        owner.stdout.close()

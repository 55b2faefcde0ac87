"""A real X clipboard owner for a test (`xclip -quiet`, which serves the selection until it is
stopped), on an Xvfb display (tests/support/share_sources.py `xvfb`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


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

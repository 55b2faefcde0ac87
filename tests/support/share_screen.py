"""A real X server (Xvfb) showing a known picture, for the screen-sharing tests.

Xvfb picks its own free display number (`-displayfd`), so parallel workers never clash;
`-noreset` keeps the root window's picture after `xsetroot` disconnects. The picture is a
64x64 bitmap tiled over the root window: a red left half and a blue right half, so the
screen shows 32 px vertical stripes, red first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

RED, BLUE = (255, 0, 0), (0, 0, 255)
STRIPE = 32


def expected_colour(x: int) -> tuple[int, int, int]:
    """The colour of screen column `x`."""
    return RED if (x // STRIPE) % 2 == 0 else BLUE


@contextmanager
def xvfb(tmp_path: Path, width: int = 1024, height: int = 768) -> Iterator[str]:
    """An Xvfb display (":N") with the stripes on it, stopped afterwards."""
    if shutil.which("Xvfb") is None or shutil.which("xsetroot") is None:
        pytest.skip("Xvfb and xsetroot are not installed (apt install xvfb x11-xserver-utils; scripts/test installs them as root)")
    from PIL import Image

    bitmap = tmp_path / "stripes.xbm"
    picture = Image.new("1", (2 * STRIPE, 2 * STRIPE), 0)
    picture.paste(1, (0, 0, STRIPE, 2 * STRIPE))
    picture.save(bitmap)
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset"], pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        number = b""
        while not number.endswith(b"\n"):  # Xvfb writes its display number once it accepts clients
            chunk = os.read(read, 16)
            if not chunk:
                raise RuntimeError("Xvfb ended before it named its display")
            number += chunk
        display = f":{number.decode().strip()}"
        subprocess.run(["xsetroot", "-bitmap", str(bitmap), "-fg", "#ff0000", "-bg", "#0000ff"], env={**os.environ, "DISPLAY": display}, check=True)
        yield display
    finally:
        os.close(read)
        server.terminate()
        server.wait(10)

"""Known pictures to share: a real X server (Xvfb) showing stripes, and video files made with PyAV.

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


def make_video(path: Path, colours: list[tuple[int, int, int]], fps: int = 10, size: tuple[int, int] = (320, 240)) -> Path:
    """A video file made with PyAV: one frame per colour, `fps` frames a second (MPEG-4 part 2,
    which every PyAV wheel can encode)."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for colour in colours:
            picture = np.zeros((size[1], size[0], 3), np.uint8)
            picture[:, :] = colour
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path

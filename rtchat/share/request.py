"""What `/share ...` (and `rtchat ask --share-*`) asks for, parsed once into a `ShareRequest`.

The grammar is small on purpose: `screen [MONITOR | X,Y,W,H]`, `camera [DEVICE]`, `off`,
or a path to a video file. Anything else is one line saying what would work.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Literal

from rtchat.errors import InputFailure

ShareKind = Literal["screen", "camera", "file", "off"]
USAGE = "/share screen [MONITOR | X,Y,W,H], /share camera [DEVICE], /share FILE (a video) or /share off"


class ShareError(InputFailure, ValueError):
    """One line: why this share cannot start (bad argument, no display, no camera, unreadable file)."""


@dataclass(frozen=True)
class Region:
    """A rectangle of the screen in pixels, from its top-left corner."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class ShareRequest:
    """One source to share. `monitor` 1 is the first monitor (mss numbering; 0 is all of them together)."""

    kind: ShareKind
    monitor: int = 1
    region: Region | None = None
    device: str | None = None  # a camera: None is the first one found
    path: str | None = None  # a video file

    @property
    def label(self) -> str:
        """What the status line says is shared: "screen", "screen 2", "camera", "file clip.mp4"."""
        if self.kind == "screen":
            if self.region is not None:
                r = self.region
                return f"screen {r.width}x{r.height}+{r.x}+{r.y}"
            return "screen" if self.monitor == 1 else f"screen {self.monitor}"
        if self.kind == "file":
            return f"file {os.path.basename(self.path or '')}"
        return self.kind


def parse_share(text: str) -> ShareRequest:
    """`screen`, `screen 2`, `screen 0,0,1280,720`, `camera`, `camera /dev/video2`, `off` or a
    video file's path (quoted when it has spaces). ShareError (one line) otherwise."""
    try:
        words = shlex.split(text.strip())
    except ValueError as exc:
        raise ShareError(f"cannot read {text.strip()!r}: {exc}; use {USAGE}") from None
    if not words:
        raise ShareError(f"say what to share: {USAGE}")
    head, rest = words[0], words[1:]
    if head.lower() == "off" and not rest:
        return ShareRequest("off")
    if head.lower() == "screen":
        return _screen(rest)
    if head.lower() == "camera":
        if len(rest) > 1:
            raise ShareError(f"one camera at a time (got {' '.join(rest)!r}); use /share camera [DEVICE]")
        return ShareRequest("camera", device=rest[0] if rest else None)
    path = " ".join(words)
    if os.path.isfile(os.path.expanduser(path)):
        return ShareRequest("file", path=os.path.expanduser(path))
    if os.path.exists(os.path.expanduser(path)):
        raise ShareError(f"{path} is not a regular file; share a video file, the screen or a camera")
    raise ShareError(f"{path!r} is neither screen, camera, off nor an existing video file; use {USAGE}")


def _screen(rest: list[str]) -> ShareRequest:
    if not rest:
        return ShareRequest("screen")
    if len(rest) > 1:
        raise ShareError(f"one monitor or one region (got {' '.join(rest)!r}); e.g. /share screen 2 or /share screen 0,0,1280,720")
    arg = rest[0]
    if arg.isdigit():
        return ShareRequest("screen", monitor=int(arg))
    parts = arg.split(",")
    if len(parts) == 4 and all(p.strip().lstrip("-").isdigit() for p in parts):
        x, y, w, h = (int(p) for p in parts)
        if w <= 0 or h <= 0:
            raise ShareError(f"a region needs a positive width and height (got {w}x{h}); e.g. /share screen 0,0,1280,720")
        return ShareRequest("screen", region=Region(x, y, w, h))
    raise ShareError(f"{arg!r} is neither a monitor number nor a region X,Y,W,H; e.g. /share screen 2 or /share screen 0,0,1280,720")

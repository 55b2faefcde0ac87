"""The screen as a frame source, through `mss` (X11, macOS, Windows).

A Wayland session without X has no screen mss can read: that is said in one line
before anything starts. mss objects belong to the thread that made them (X11), so
the source opens inside the sharing thread.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from rtchat.share.frames import ScaleRule, scaled
from rtchat.share.request import Region, ShareError

if TYPE_CHECKING:
    from PIL.Image import Image


def display_problem(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why the screen cannot be captured here (None: it can be tried)."""
    environ = dict(os.environ) if environ is None else environ
    platform = platform or sys.platform
    if not platform.startswith("linux") and not platform.startswith("freebsd"):
        return None
    if environ.get("DISPLAY"):
        return None
    if environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland":
        return "this is a Wayland session without X (DISPLAY is not set): the screen cannot be captured; run rtchat where XWayland sets DISPLAY, or share a camera or a video file"
    return "no screen to capture here (DISPLAY is not set); share a camera or a video file instead"


class ScreenSource:
    """One monitor (1 = the first; 0 = all of them) or a region of the screen."""

    kind = "screen"

    def __init__(self, monitor: int = 1, region: Region | None = None) -> None:
        self.monitor = monitor
        self.region = region
        self._mss: Any = None
        self._area: dict[str, int] | None = None

    def open(self) -> None:
        problem = display_problem()
        if problem:
            raise ShareError(problem)
        try:
            import mss  # noqa: PLC0415 - loaded when a share starts, never at start-up
        except ImportError:
            raise ShareError("screen sharing needs the mss package (pip install mss)") from None
        try:
            self._mss = (getattr(mss, "MSS", None) or mss.mss)()  # mss 10 names the class MSS; older ones only the factory
        except Exception as exc:  # mss raises its own ScreenShotError, and ctypes errors on odd servers
            raise ShareError(f"cannot open the screen: {exc}") from None
        monitors = self._mss.monitors
        if self.region is not None:
            r = self.region
            self._area = {"left": r.x, "top": r.y, "width": r.width, "height": r.height}
            return
        if not 0 <= self.monitor < len(monitors):
            count = len(monitors) - 1
            self.close()
            raise ShareError(f"there is no monitor {self.monitor}: this screen has {count} (1-{count}; 0 is all of them)")
        self._area = dict(monitors[self.monitor])

    def grab(self, rule: ScaleRule) -> Image:
        """The screen, scaled by `rule`. The capture's BGRX bytes are wrapped without a copy and
        scaled first; only the small picture has its channels put in order (~3x less CPU than
        converting the whole screen to RGB first: 1920x1080 in ~11 ms of CPU)."""
        from PIL import Image as PILImage  # noqa: PLC0415 - Pillow loads with the first shared frame

        shot = self._mss.grab(self._area)
        raw = PILImage.frombuffer("RGBX", shot.size, shot.bgra, "raw", "RGBX", 0, 1)  # really B, G, R, X
        blue, green, red, _ = scaled(raw, rule).split()
        return PILImage.merge("RGB", (red, green, blue))

    def close(self) -> None:
        if self._mss is not None:
            self._mss.close()
            self._mss = None

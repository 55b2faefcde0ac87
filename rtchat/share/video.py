"""Cameras and video files as frame sources, through PyAV (already installed with aiortc).

A camera is opened with the platform's capture format (v4l2 on Linux, avfoundation on
macOS, dshow on Windows); a reader thread keeps only its latest picture, so a frame
taken once a second is never a stale one from the driver's queue. A video file plays
at its own speed and loops, so a shared demo file behaves like a camera.
"""

from __future__ import annotations

import glob
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rtchat.share.frames import ScaleRule
from rtchat.share.request import ShareError

if TYPE_CHECKING:
    from PIL.Image import Image

CAPTURE_FORMATS = {"linux": "v4l2", "darwin": "avfoundation", "win32": "dshow"}


@dataclass(frozen=True)
class Camera:
    """A camera the picker lists: what to open (`device`) and what to show (`name`)."""

    device: str
    name: str


def capture_format(platform: str | None = None) -> str | None:
    platform = platform or sys.platform
    return next((fmt for prefix, fmt in CAPTURE_FORMATS.items() if platform.startswith(prefix)), None)


def list_cameras(platform: str | None = None) -> list[Camera]:
    """The cameras to choose from, re-scanned on each call (like microphones). Linux: the
    v4l2 devices with their driver names; macOS: avfoundation's default camera; Windows:
    none can be listed without opening them (name one: `/share camera "video=NAME"`)."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        cameras = []
        for path in sorted(glob.glob("/dev/video*"), key=lambda p: (len(p), p)):
            node = f"/sys/class/video4linux/{os.path.basename(path)}"
            if _sys_text(f"{node}/index", "0") != "0":
                continue  # a camera's second node (its metadata stream): no pictures there
            cameras.append(Camera(path, f"{_sys_text(f'{node}/name', os.path.basename(path))} ({path})"))
        return cameras
    if platform == "darwin":
        return [Camera("0", "default camera")]
    return []


def _sys_text(path: str, default: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError:
        return default


def _open_av(target: str, fmt: str | None = None, options: dict[str, str] | None = None) -> Any:
    try:
        import av  # noqa: PLC0415 - PyAV loads when a share starts (~100 ms), never at start-up
    except ImportError:
        raise ShareError("camera and video sharing need PyAV (pip install av)") from None
    try:
        return av.open(target, format=fmt, options=options or {})
    except Exception as exc:  # av.error.* (FileNotFoundError, InvalidDataError, PermissionError...)
        raise ShareError(f"cannot open {target}: {getattr(exc, 'strerror', None) or exc}") from None


def picture(frame: Any, rule: ScaleRule) -> Image:
    """A decoded video frame as an RGB picture fitted to `rule`, scaled by FFmpeg's swscale
    on the way to RGB (one pass, no full-size RGB copy)."""
    width, height = rule.size_for(frame.width, frame.height)
    return frame.reformat(width=width, height=height, format="rgb24").to_image()


class FileSource:
    """A video file, played at its own speed and looping: the frame on show when grabbed."""

    kind = "file"

    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.clock = clock  # the file's clock (tests drive it)
        self._container: Any = None
        self._frames: Any = None
        self._shown: Image | None = None
        self._shown_at = -1.0
        self._started = 0.0

    def open(self) -> None:
        self._container = _open_av(self.path)
        if not self._container.streams.video:
            self.close()
            raise ShareError(f"{os.path.basename(self.path)} has no video stream; share a video file")
        self._restart()
        self._started = self.clock()

    def _restart(self) -> None:
        if self._frames is not None:
            self._container.seek(0)
        self._frames = self._container.decode(video=0)
        self._shown_at = -1.0

    def _next(self) -> Any:
        try:
            return next(self._frames)
        except StopIteration:
            return None
        except Exception as exc:  # av errors in a damaged file
            raise ShareError(f"cannot read {os.path.basename(self.path)}: {exc}") from None

    def grab(self, rule: ScaleRule) -> Image:
        """The picture at the file's clock (time since sharing began); from the start again at its end."""
        position = self.clock() - self._started
        while True:
            frame = self._next()
            if frame is None:
                if self._shown is None:
                    raise ShareError(f"{os.path.basename(self.path)} has no frame to show")
                self._restart()
                self._started = self.clock()
                return self._shown  # the last picture closes the loop; the next grab starts over
            at = float(frame.time) if frame.time is not None else self._shown_at + 1 / 30
            self._shown, self._shown_at = picture(frame, rule), at
            if at >= position:
                return self._shown

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


class CameraSource:
    """A camera; `device` None is the first `list_cameras()` gives."""

    kind = "camera"

    def __init__(self, device: str | None = None, capture: str | None = "") -> None:
        self.device = device
        self.capture = capture  # the capture format; "" is the platform's (None: let FFmpeg guess, as for a file)
        self._container: Any = None
        self._latest: Any = None  # the newest decoded frame (av.VideoFrame)
        self._have_one = threading.Event()
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self._error: str | None = None

    def open(self) -> None:
        fmt = capture_format() if self.capture == "" else self.capture
        device = self.device
        if device is None:
            cameras = list_cameras()
            if not cameras:
                raise ShareError("no camera found; name one with /share camera DEVICE" if fmt != "dshow" else 'name the camera: /share camera "video=NAME" (as Windows lists it)')
            device = cameras[0].device
        options = {"framerate": "30"} if fmt == "avfoundation" else {}  # avfoundation refuses to guess a rate
        self._container = _open_av(device, fmt, options)
        self._reader = threading.Thread(target=self._read, name="rtchat-camera", daemon=True)
        self._reader.start()
        self._have_one.wait(5.0)
        if self._latest is None:
            self.close()
            raise ShareError(self._error or f"{device} gave no picture within 5 s")

    def _read(self) -> None:
        try:
            for frame in self._container.decode(video=0):
                if self._stop.is_set():
                    return
                self._latest = frame  # turned into a picture only when grabbed
                self._have_one.set()
        except Exception as exc:  # the camera went away: the next grab says so
            self._error = f"the camera stopped: {exc}"
        finally:
            self._have_one.set()

    def grab(self, rule: ScaleRule) -> Image:
        if self._latest is None or (self._error and not self._reader.is_alive()):
            raise ShareError(self._error or "the camera gave no picture")
        return picture(self._latest, rule)

    def close(self) -> None:
        self._stop.set()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(1.0)  # it sees the stop at its next picture (a frame time away)
        if self._container is not None:
            self._container.close()
            self._container = None

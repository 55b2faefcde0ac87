"""The image on the system clipboard, as an attachment (the paste key, `/paste`).

A terminal pastes text only: an image on the clipboard never reaches the app as
a paste, so the app reads the clipboard itself. On Linux that is `wl-paste`
(Wayland) or `xclip` (X11), asking first which types the clipboard holds
(TARGETS), so that a clipboard holding text says so instead of failing; each
call has a deadline, since a clipboard owner that does not answer would hold
xclip forever (Pillow's own Linux path has neither). On macOS and Windows
Pillow's `ImageGrab.grabclipboard()` reads it. Every failure is one line.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime

from rtchat.attachments import IMAGE_TYPES, Attachment
from rtchat.errors import InputFailure

DEADLINE_S = 3.0  # a clipboard owner that does not answer in this time is not going to
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


class ClipboardProblem(InputFailure, ValueError):
    """One line: why no image came from the clipboard."""


def image_name(media_type: str, now: datetime | None = None) -> str:
    """`clipboard-2026-12-07-221503.png`: a name the chip, the history and the model read."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    return f"clipboard-{stamp}.{EXTENSIONS.get(media_type, 'png')}"


def best_type(targets: Sequence[str]) -> str | None:
    """The clipboard type to ask for: one a model takes as it is, else any other image (converted)."""
    offered = [t.strip() for t in targets if t.strip()]
    for media_type in IMAGE_TYPES:
        if media_type in offered:
            return media_type
    return next((t for t in offered if t.startswith("image/")), None)


def read_clipboard_image(env: dict[str, str] | None = None, platform: str | None = None) -> Attachment:
    """The clipboard's image as a PNG/JPEG/GIF/WebP attachment; ClipboardProblem (one line) when there is none.

    Blocks on a subprocess or the OS clipboard: call it from a thread."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    if platform == "darwin" or platform.startswith("win"):
        return _grab_with_pillow()
    if env.get("WAYLAND_DISPLAY") and shutil.which("wl-paste"):
        return _read_linux(["wl-paste", "--list-types"], lambda t: ["wl-paste", "--no-newline", "--type", t], env)
    if env.get("DISPLAY") and shutil.which("xclip"):
        return _read_linux(
            ["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
            lambda t: ["xclip", "-selection", "clipboard", "-t", t, "-o"],
            env,
        )
    if env.get("WAYLAND_DISPLAY"):
        raise ClipboardProblem("reading an image from the clipboard needs wl-paste here (the wl-clipboard package)")
    if env.get("DISPLAY"):
        raise ClipboardProblem("reading an image from the clipboard needs xclip here (the xclip package)")
    raise ClipboardProblem("no clipboard to read here: no Wayland or X display (attach a file with /attach PATH)")


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, capture_output=True, timeout=DEADLINE_S, env=env, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ClipboardProblem(f"the clipboard did not answer {command[0]} within {DEADLINE_S:.0f} s") from None
    except OSError as exc:
        raise ClipboardProblem(f"cannot run {command[0]}: {exc.strerror or exc}") from None


def _read_linux(list_types: list[str], read_type, env: dict[str, str]) -> Attachment:
    listed = _run(list_types, env)
    targets = listed.stdout.decode("utf-8", "replace").splitlines() if listed.returncode == 0 else []
    if listed.returncode != 0 or not targets:
        raise ClipboardProblem("the clipboard is empty: copy an image first (or attach a file with /attach PATH)")
    media_type = best_type(targets)
    if media_type is None:
        holds = "text" if any(t.startswith(("text/", "UTF8_STRING", "STRING")) for t in targets) else "nothing rtchat can send"
        raise ClipboardProblem(f"no image on the clipboard (it holds {holds}; your terminal's own paste key pastes text)")
    read = _run(read_type(media_type), env)
    if read.returncode != 0 or not read.stdout:
        raise ClipboardProblem(f"the clipboard offered {media_type} but gave no bytes for it")
    data = read.stdout
    if media_type not in IMAGE_TYPES:
        data, media_type = _as_png(data), "image/png"
    return Attachment(image_name(media_type), media_type, data)


def _as_png(data: bytes) -> bytes:
    """A BMP/TIFF/... clipboard image as PNG, the one format every image model takes."""
    try:
        from PIL import Image  # deferred: Pillow loads only when a clipboard image needs converting
    except ImportError:
        raise ClipboardProblem("the clipboard's image is in a format models do not take, and converting it needs Pillow") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.save(out, "PNG")
    except (OSError, ValueError, SyntaxError) as exc:
        raise ClipboardProblem(f"the clipboard's image cannot be read: {exc}") from None
    return out.getvalue()


def _grab_with_pillow() -> Attachment:
    try:
        from PIL import Image, ImageGrab  # deferred: Pillow loads on the first paste
    except ImportError:
        raise ClipboardProblem("reading an image from the clipboard needs Pillow here (pip install pillow)") from None
    try:
        grabbed = ImageGrab.grabclipboard()
    except (OSError, NotImplementedError) as exc:
        raise ClipboardProblem(f"cannot read the clipboard: {exc}") from None
    if isinstance(grabbed, list):  # copied files, not an image: macOS and Windows give their paths
        raise ClipboardProblem("the clipboard holds copied files, not an image: attach one with /attach PATH")
    if not isinstance(grabbed, Image.Image):
        raise ClipboardProblem("no image on the clipboard (your terminal's own paste key pastes text)")
    out = io.BytesIO()
    grabbed.save(out, "PNG")
    return Attachment(image_name("image/png"), "image/png", out.getvalue())

"""What shared frames reached a loopback session: how many, and the last one's size and bytes.

The `vision` model answers with this report ("got 14 frames, last 768x432 JPEG"), so tests
and benchmarks can see what really crossed the wire; the last frame is kept whole so a test
can decode its pixels. Pillow (loaded lazily) reads the size from the image's own header.
"""

from __future__ import annotations

import base64
import binascii
import io
import time
from dataclasses import dataclass, field

KINDS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


@dataclass
class FrameLog:
    count: int = 0
    last_type: str = ""
    last_size: tuple[int, int] | None = None
    last_data: bytes = b""
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each frame (the bench reads it)

    def add(self, media_type: str, data: bytes) -> None:
        self.count += 1
        self.arrived.append(time.monotonic())
        self.last_type, self.last_data, self.last_size = media_type, data, image_size(data)

    def add_base64(self, media_type: str, text: str) -> None:
        try:
            self.add(media_type, base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            self.add(media_type, b"")

    def report(self) -> str:
        if not self.count:
            return "got no frames"
        size = f"{self.last_size[0]}x{self.last_size[1]} " if self.last_size else ""
        kind = KINDS.get(self.last_type, self.last_type or "image")
        return f"got {self.count} frame{'s' if self.count != 1 else ''}, last {size}{kind}"


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image  # noqa: PLC0415 - Pillow loads only when a frame arrives

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # not an image: the report says so by leaving the size out
        return None


def data_url_parts(url: object) -> tuple[str, str] | None:
    """(media type, base64 text) of a `data:` URL, else None."""
    if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return media_type, data
    return None

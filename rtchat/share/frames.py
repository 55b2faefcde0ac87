"""A shared frame: one picture, scaled to what the provider looks at and encoded as JPEG.

Pillow does the scaling and the encoding (imported lazily: the app's start-up never pays
for it). Frames are never scaled up: a small window stays sharp.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rtchat.attachments import Attachment

if TYPE_CHECKING:
    from PIL.Image import Image

JPEG_QUALITY = 80  # screens stay legible at this quality; a 768 px frame is ~40-80 KB


@dataclass(frozen=True)
class Frame:
    """One captured frame as sent: JPEG bytes, their size, its number (from 1) and when it was
    captured (`time.monotonic()`)."""

    jpeg: bytes
    width: int
    height: int
    index: int
    captured_at: float

    def attachment(self, kind: str = "screen") -> Attachment:
        """The frame as an image chip: what HTTP and Realtime turns send it as."""
        return Attachment(f"{kind}-frame-{self.index}.jpg", "image/jpeg", self.jpeg)

    def describe(self) -> str:
        return f"{self.width}x{self.height} JPEG"


@dataclass(frozen=True)
class ScaleRule:
    """The largest frame worth sending: the long side at most `long_side`, the short side at
    most `short_side` (None: no bound). Never scaled up."""

    long_side: int | None = 768
    short_side: int | None = None

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        factor = 1.0
        if self.long_side:
            factor = min(factor, self.long_side / max(width, height))
        if self.short_side:
            factor = min(factor, self.short_side / min(width, height))
        return max(1, round(width * factor)), max(1, round(height * factor))


def scaled(image: Image, rule: ScaleRule) -> Image:
    """`image` fitted to `rule`: first an integer box reduction (one cheap pass over the big
    picture), then a bilinear resize of what is left. Kept in the image's own mode."""
    size = rule.size_for(*image.size)
    if size == image.size:
        return image
    from PIL import Image as PILImage  # noqa: PLC0415 - Pillow loads with the first shared frame

    factor = min(image.size[0] // size[0], image.size[1] // size[1])
    if factor >= 2:
        image = image.reduce(factor)
    return image.resize(size, PILImage.Resampling.BILINEAR) if image.size != size else image


def encode(image: Image, rule: ScaleRule, index: int, captured_at: float, quality: int = JPEG_QUALITY, max_bytes: int | None = None) -> Frame:
    """`image` scaled by `rule` (a source may have done it already) and encoded as a JPEG frame;
    with `max_bytes`, at lower qualities (then smaller) until it fits: a WebRTC data channel
    carries one message of at most 64 KB where the far end names no larger size."""
    image = scaled(image, rule)
    if image.mode != "RGB":
        image = image.convert("RGB")
    while True:
        for step in (quality, 60, 45, 30) if max_bytes else (quality,):
            out = io.BytesIO()
            image.save(out, "JPEG", quality=step)
            if max_bytes is None or out.tell() <= max_bytes:
                return Frame(out.getvalue(), image.size[0], image.size[1], index, captured_at)
        if min(image.size) <= 64:  # as small as a frame is worth making: sent as it is
            return Frame(out.getvalue(), image.size[0], image.size[1], index, captured_at)
        image = scaled(image, ScaleRule(round(max(image.size) * 0.75)))

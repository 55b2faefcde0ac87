"""Files in a prompt: images, PDFs and text, read once, named by content hash.

Images and PDFs travel as each provider's own binary parts; a text file travels
as text (every model can read that), under a header that names it. Limits are
the providers' documented ones, checked before anything is sent.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import sys
from dataclasses import dataclass
from pathlib import Path

from rtchat.errors import InputFailure

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
PDF = "application/pdf"
MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"), (b"%PDF-", PDF))
# Bytes per attachment each wire accepts inline (the providers' documented limits).
LIMITS = {"anthropic": {"image": 5 * 2**20, "pdf": 32 * 2**20}, "gemini": {"image": 20 * 2**20, "pdf": 20 * 2**20}}
DEFAULT_LIMITS = {"image": 20 * 2**20, "pdf": 32 * 2**20, "text": 2 * 2**20}


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    data: bytes

    @property
    def kind(self) -> str:
        """image | pdf | text: what the model must be able to read."""
        if self.media_type in IMAGE_TYPES:
            return "image"
        return "pdf" if self.media_type == PDF else "text"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size_label(self) -> str:
        return human_size(len(self.data))

    def base64(self) -> str:
        return base64.b64encode(self.data).decode()

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64()}"

    def text(self) -> str:
        """A text attachment as the model reads it: a header naming it, then its words."""
        return f"--- attached file: {self.name} ({self.size_label}) ---\n{self.data.decode('utf-8', 'replace')}\n--- end of {self.name} ---"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB" if size >= 10 * 1024 else f"{size / 1024:.1f} KB"
    return f"{size / 2**20:.1f} MB"


def media_type_of(name: str, data: bytes) -> str:
    for magic, media_type in MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    guessed, _ = mimetypes.guess_type(name)
    if guessed in IMAGE_TYPES or guessed == PDF:
        return guessed
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


class AttachmentError(InputFailure, ValueError):
    """One line: why this file cannot go with the prompt."""


def load(path: str, stdin=None) -> Attachment:
    """A file (or `-` for stdin) as an attachment; AttachmentError when unreadable or of an unknown kind."""
    try:
        if path == "-":
            data, name = (stdin or sys.stdin.buffer).read(), "stdin"
        else:
            data, name = Path(path).read_bytes(), Path(path).name
    except OSError as exc:
        raise AttachmentError(f"cannot read {path}: {exc.strerror or exc}") from None
    media_type = media_type_of(name, data)
    if media_type == "application/octet-stream":
        raise AttachmentError(f"{name} is neither an image (PNG, JPEG, GIF, WebP), a PDF nor UTF-8 text; rtchat cannot send it")
    return Attachment(name, media_type, data)


def problem_for(attachment: Attachment, wire: str, accepts: tuple[str, ...] | None, model_ref: str) -> str | None:
    """Why this model cannot take this attachment (None when it can); said before anything is sent."""
    if accepts is not None and attachment.kind not in accepts:
        return f"{model_ref} cannot read {attachment.kind} attachments ({attachment.name}); it takes {', '.join(accepts)} only"
    limit = LIMITS.get(wire, DEFAULT_LIMITS).get(attachment.kind, DEFAULT_LIMITS[attachment.kind])
    if len(attachment.data) > limit:
        return f"{attachment.name} is {attachment.size_label}, over the {human_size(limit)} {wire} accepts for a {attachment.kind}"
    return None


# What a socket session can take besides words (the providers' published client events):
# Realtime GA `input_image` (PNG and JPEG only), Live `inlineData` images (Gemini's image formats:
# PNG, JPEG, WebP; no GIF). Neither has a document part.
SOCKET_IMAGES = {"openai_realtime": ("image/png", "image/jpeg"), "gemini_live": ("image/png", "image/jpeg", "image/webp")}
SOCKET_NAMES = {"openai_realtime": "a Realtime session", "gemini_live": "a Live session"}
BINARY_SOCKETS = ("openai_responses_ws",)  # a Responses socket sends the same input parts as its SSE twin


def socket_problem(attachment: Attachment, socket_wire: str | None, dialect: str | None = None) -> str | None:
    """Why a WebSocket/WebRTC session cannot take this file (None when it can); one line naming what it takes."""
    if attachment.kind == "text" or socket_wire in BINARY_SOCKETS:
        return None
    images = SOCKET_IMAGES.get(socket_wire or "", ())
    session = SOCKET_NAMES.get(socket_wire or "", "this socket session")
    if images and dialect == "beta":
        return f"{attachment.name}: this Realtime server speaks the beta dialect, which has no field for image bytes; switch to SSE to send it (--protocol sse; ctrl+n in the app)"
    if attachment.media_type in images:
        return None
    takes = f"{', '.join(t.split('/')[1].upper() for t in images)} images and text" if images else "text only"
    return f"{attachment.name}: {session} takes {takes}; switch to SSE to send this {attachment.kind} (--protocol sse; ctrl+n in the app)"

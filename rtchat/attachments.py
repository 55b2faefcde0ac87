"""Files in a prompt: images, PDFs and text, read once, named by content hash.

Images and PDFs travel as each provider's own binary parts; a text file travels
as text (every model can read that), under a header that names it. Limits are
the providers' documented ones, checked before anything is sent.

Only regular files are read, and never more than READ_LIMIT + 1 bytes: `stat`
says 0 bytes for a FIFO or `/dev/zero`, so the size alone cannot guard a read.
The file is opened with O_NONBLOCK, so a FIFO cannot hold the open either. What
a file is comes from its bytes (magic numbers), never from its name alone.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import stat
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rtchat.errors import InputFailure
from rtchat.sanitize import terminal_safe

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
PDF = "application/pdf"
MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"), (b"%PDF-", PDF))
TYPE_NAMES = {"image/png": "a PNG image", "image/jpeg": "a JPEG image", "image/gif": "a GIF image", "image/webp": "a WebP image", PDF: "a PDF"}
# Bytes per attachment each wire accepts inline (the providers' documented limits).
LIMITS = {"anthropic": {"image": 5 * 2**20, "pdf": 32 * 2**20}, "gemini": {"image": 20 * 2**20, "pdf": 20 * 2**20}}
DEFAULT_LIMITS = {"image": 20 * 2**20, "pdf": 32 * 2**20, "text": 2 * 2**20}
READ_LIMIT = 64 * 2**20  # no provider takes more inline: a bigger file is refused, never read whole


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    data: bytes

    def __post_init__(self) -> None:
        # A file name is data too: it is shown, exported as one Markdown line and put in the
        # header the model reads, so it can carry no line break and no control (from any source:
        # a path, the history, an imported JSON export).
        object.__setattr__(self, "name", one_line_name(self.name))

    @property
    def kind(self) -> str:
        """image | pdf | text: what the model must be able to read."""
        if self.media_type in IMAGE_TYPES:
            return "image"
        return "pdf" if self.media_type == PDF else "text"

    @cached_property  # asked on every attach and send; a 64 MB file takes ~0.1 s to hash
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


def one_line_name(name: str) -> str:
    """`name` inert and on one line: controls as the screen shows them, line breaks as a visible ␤."""
    return terminal_safe(name.replace("\r\n", "\n")).translate(_BREAKS)


_BREAKS = str.maketrans({"\n": "␤", "\t": " ", "\u2028": "␤", "\u2029": "␤", "\x85": "␤"})


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB" if size >= 10 * 1024 else f"{size / 1024:.1f} KB"
    if size < 2**30:
        return f"{size / 2**20:.1f} MB"
    return f"{size / 2**30:.1f} GB"


def sniffed_type(data: bytes) -> str | None:
    """The image or PDF type the bytes themselves say (their magic number), else None."""
    for magic, media_type in MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def media_type_of(name: str, data: bytes) -> str:
    """What the bytes are; AttachmentError when the name promises an image or a PDF the bytes are not."""
    sniffed = sniffed_type(data)
    if sniffed is not None:
        return sniffed
    named, _ = mimetypes.guess_type(name)
    if named in TYPE_NAMES:
        raise AttachmentError(f"{name} is named like {TYPE_NAMES[named]} but its bytes are not one; rtchat sends what the bytes are, so rename it (to .txt for text)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise AttachmentError(f"{name} is neither an image (PNG, JPEG, GIF, WebP), a PDF nor UTF-8 text; rtchat cannot send it") from None
    return "text/plain"


class AttachmentError(InputFailure, ValueError):
    """One line: why this file cannot go with the prompt."""


NOT_FILES = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def refuse_unless_file(path: str, status: os.stat_result, limit: int) -> None:
    """AttachmentError naming what `path` is when it is not a regular file, or when it is over `limit`."""
    if stat.S_ISDIR(status.st_mode):
        raise AttachmentError(f"{path} is a folder; attach the files in it one by one")
    what = next((name for is_kind, name in NOT_FILES if is_kind(status.st_mode)), None if stat.S_ISREG(status.st_mode) else "not a regular file")
    if what is not None:
        raise AttachmentError(f"{path} is {what}, not a regular file; rtchat attaches regular files only")
    if status.st_size > limit:
        raise too_big(Path(path).name, status.st_size, limit)


def too_big(name: str, size: int | None, limit: int) -> AttachmentError:
    told = f" is {human_size(size)}," if size is not None else " is"
    return AttachmentError(f"{name}{told} over the {human_size(limit)} any provider takes inline")


def read_file(path: str, limit: int = READ_LIMIT) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; AttachmentError otherwise.

    Looked at before it is opened (a socket cannot be opened), opened without blocking (a FIFO
    that appeared in between cannot hold the open) and looked at again through the open file."""
    shown = one_line_name(path)
    try:
        refuse_unless_file(shown, os.stat(path), limit)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise AttachmentError(f"cannot read {shown}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        refuse_unless_file(shown, os.fstat(fd), limit)
        try:
            data = file.read(limit + 1)  # a file that grew since: one byte over is enough to tell
        except OSError as exc:
            raise AttachmentError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise too_big(Path(shown).name, None, limit)
    return data


def load(path: str, stdin=None, limit: int = READ_LIMIT) -> Attachment:
    """A file (or `-` for stdin) as an attachment; AttachmentError when unreadable, not a
    regular file, over `limit`, or of an unknown kind."""
    if path == "-":
        data, name = (stdin or sys.stdin.buffer).read(limit + 1), "stdin"
        if len(data) > limit:
            raise too_big(name, None, limit)
    else:
        data, name = read_file(path, limit), one_line_name(Path(path).name)
    return Attachment(name, media_type_of(name, data), data)


def pasted(text: str, number: int) -> Attachment:
    """A paste too large for the input, as a text attachment (`paste.txt`, `paste-2.txt`, ...)."""
    return Attachment("paste.txt" if number == 1 else f"paste-{number}.txt", "text/plain", text.encode("utf-8", "replace"))


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

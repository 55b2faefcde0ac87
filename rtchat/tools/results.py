"""An MCP tool result as the text a wire sends back to the model.

Text blocks are joined; structured content goes as compact JSON when the tool gave no text;
images, audio and resources are described in one line each ("[image/png, 12 KB]"). Whatever the
tool claims about its size, the text is cut at `[tools] max_result_chars` with a note. Making it
inert for the screen is the UI's job.

Images (an image block, or an embedded resource whose bytes are an image) also go to the model
as images, when it reads them (`result_images`; the runner asks the model's capability): their
type is what their bytes say (`attachments.sniffed_type`), so a tool cannot pass bytes off as a
PNG. Audio stays a described line: no provider takes audio inside a tool result.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from rtchat.attachments import IMAGE_TYPES, sniffed_type
from rtchat.events import ToolImage, ToolStatus

@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What one call gave back: the text for the model (already cut), and the tool's own time."""

    output: str
    is_error: bool
    status: ToolStatus
    ms: float | None
    images: tuple[ToolImage, ...] = ()  # every image the tool returned; the runner keeps those the model can read


NO_OUTPUT = "(the tool returned no output)"


def result_text(result: Any) -> str:
    """The text of an MCP `CallToolResult` (typed loosely: `mcp` is imported lazily)."""
    parts = [part for block in result.content if (part := block_text(block))]
    if not any(getattr(block, "type", None) == "text" for block in result.content) and result.structured_content is not None:
        parts.insert(0, json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"), default=str))
    return "\n".join(parts) if parts else NO_OUTPUT


def result_images(result: Any) -> tuple[ToolImage, ...]:
    """The images of an MCP `CallToolResult` whose bytes really are images, named by position
    ("image-1.png"); a block that does not decode or is no image stays a described line only."""
    images: list[ToolImage] = []
    for block in result.content:
        kind = getattr(block, "type", None)
        encoded = block.data if kind == "image" else getattr(getattr(block, "resource", None), "blob", None) if kind == "resource" else None
        if not encoded:
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        media_type = sniffed_type(data)
        if media_type in IMAGE_TYPES:
            images.append(ToolImage(f"image-{len(images) + 1}.{media_type.split('/')[1]}", media_type, data))
    return tuple(images)


def block_text(block: Any) -> str:
    """One content block: its text, or a one-line description of what it holds."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        return f"[{block.mime_type}, {size_words(base64_size(block.data))}]"
    if kind == "resource_link":
        return f"[resource {block.uri}" + (f", {block.mime_type}" if block.mime_type else "") + "]"
    if kind == "resource":
        resource = block.resource
        mime = f", {resource.mime_type}" if resource.mime_type else ""
        if hasattr(resource, "text"):
            return f"[resource {resource.uri}{mime}]\n{resource.text}"
        return f"[resource {resource.uri}{mime}, {size_words(base64_size(resource.blob))}]"
    return f"[{kind or 'unknown'} content]"


def base64_size(data: str) -> int:
    return len(data) * 3 // 4 - data[-2:].count("=")


def size_words(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def cut(text: str, limit: int) -> str:
    """`text` whole when it fits in `limit` characters, else its start and a note of the rest."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[cut: {len(text) - limit} more characters]"


def status_of(result: Any) -> ToolStatus:
    return "error" if result.is_error else "ok"

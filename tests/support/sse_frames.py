"""Reading a raw SSE body back into frames, for tests that check what went over the wire."""

from __future__ import annotations

import re


def parse_sse(raw: str) -> list[tuple[str | None, str]]:
    """(event name, data) of each frame; comments skipped, LF or CRLF."""
    frames = []
    for block in re.split(r"\r?\n\r?\n", raw):
        event, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        if data:
            frames.append((event, "\n".join(data)))
    return frames

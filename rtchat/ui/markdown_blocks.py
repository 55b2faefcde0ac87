"""Split a growing Markdown answer into a final part and a still-growing tail.

Text up to the last blank line outside a code fence cannot change meaning when
more text arrives (with one exception handled here: a following indented line
may continue a list item), so it is rendered once and never again.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def final_boundary(text: str, start: int = 0) -> int:
    """Index just after the last blank line (outside a fence) in `text[start:]` that is safe to cut at.

    `start` must itself be a point outside any fence (a previous boundary or 0).
    Returns `start` when nothing new is final.
    """
    boundary = start
    fence: str | None = None
    pending_blank_end: int | None = None
    position = start
    while True:
        newline = text.find("\n", position)
        if newline < 0:
            # the last line is still growing; its first character already says whether it continues a block
            rest = text[position:]
            if fence is None and pending_blank_end is not None and rest[:1] and not rest[:1].isspace():
                boundary = pending_blank_end
            break
        line = text[position:newline]
        next_position = newline + 1
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) <= set(fence[0]):
                fence = None
        else:
            match = _FENCE.match(line)
            if match:
                if pending_blank_end is not None and not line[:1].isspace():
                    boundary = pending_blank_end
                fence = match.group(1)[0] * len(match.group(1))
                pending_blank_end = None
            elif not line.strip():
                pending_blank_end = next_position
            else:
                if pending_blank_end is not None and not line[:1].isspace():
                    boundary = pending_blank_end
                pending_blank_end = None
        position = next_position
    return boundary


_CODE_OR_LINK = re.compile(
    r"(?P<code>`+[^`]*`+)"
    r"|(?P<lt><)"
    r"|(?P<image>!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)(?:\s+\"[^\"]*\")?\))"
    r"|(?P<link>\[(?P<label>[^\]]*)\]\((?P<href>[^)\s]*)(?:\s+\"[^\"]*\")?\))"
)


def _reveal(match: re.Match[str]) -> str:
    if match.group("code"):
        return match.group("code")
    if match.group("lt"):
        return "\\<"  # raw HTML and autolinks show as typed
    if match.group("image") is not None:
        return f"{match.group('alt') or 'image'} (image: {match.group('src')})"
    label, href = match.group("label"), match.group("href")
    if not href or label.strip() == href:
        return label or href
    return f"{label} ({href})"


def reveal_links(markdown: str) -> str:
    """Show every link's and image's real target as text, outside code fences.

    A model can write `[your bank](https://evil.example)`; the reader must see where it goes.
    """
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) <= set(fence[0]):
                fence = None
            out.append(line)
        elif match:
            fence = match.group(1)[0] * len(match.group(1))
            out.append(line)
        elif line.startswith(("    ", "\t")):
            out.append(line)
        else:
            out.append(_CODE_OR_LINK.sub(_reveal, line))
    return "".join(out)

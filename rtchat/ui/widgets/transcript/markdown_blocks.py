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

"""What a Line-API widget (a StreamingMarkdown answer) shows on screen, as plain text."""

from __future__ import annotations


def shown_lines(widget) -> list[str]:
    """Each painted row of `widget`, as the terminal shows it (styles dropped, right edge trimmed)."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]

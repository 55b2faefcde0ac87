"""Model output is data: helpers that keep it literal and inert on screen."""

from __future__ import annotations

from markdown_it import MarkdownIt
from textual.content import Content

from rtchat.sanitize import terminal_safe
from rtchat.ui.markdown_blocks import reveal_links


def literal(text: str) -> Content:
    """Plain text that shows exactly as written: `[bold]` stays `[bold]`, controls are neutralised."""
    return Content(terminal_safe(text))


def markdown_source(text: str) -> str:
    """What the Markdown widget may render: control-free, links revealed."""
    return reveal_links(terminal_safe(text))


def markdown_parser() -> MarkdownIt:
    """GFM-like Markdown with raw HTML off, so `<tags>` in an answer show as text."""
    return MarkdownIt("gfm-like", {"html": False})

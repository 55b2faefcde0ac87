"""Model output is data: helpers that keep it literal and inert on screen."""

from __future__ import annotations

from textual.content import Content

from rtchat.sanitize import terminal_safe


def literal(text: str) -> Content:
    """Plain text that shows exactly as written: `[bold]` stays `[bold]`, controls are neutralised."""
    return Content(terminal_safe(text))

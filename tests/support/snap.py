"""Freezing what varies between runs (timings, dates) so snapshot tests compare layout, not luck."""

from __future__ import annotations

import re
from dataclasses import replace

from rtchat.events import Error, Usage

FIXED_NOW = 1_000.0


def freeze(app, monkeypatch) -> None:
    """Fixed figures on the status line, thinking clocks and list dates, however fast the machine is."""
    from rtchat.ui.screens import conversation_list
    from rtchat.ui.widgets.transcript.thinking import ThinkingPanel

    monkeypatch.setattr(conversation_list, "when", lambda timestamp: "2026-01-02 03:04")

    def fixed_clock(clock) -> None:
        first = clock.ttft_ms is not None
        app.status.show(
            connect_ms=None if clock.connect_ms is None else 12.0, ttft_ms=34.0 if first else None,
            tokens_per_s=56.0 if first else None, usage=clock.usage or Usage(),
        )

    show_error = app.transcript.show_error

    async def fixed_port(error: Error) -> None:
        """The loopback listens on a free port; its number is the one thing in an error that varies."""
        await show_error(replace(error, message=re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", error.message)))

    app.status.show_clock = fixed_clock
    app.transcript.show_error = fixed_port
    app.prompt.cursor_blink = False  # a blinking cursor is caught in either phase
    app.turns.now = lambda: FIXED_NOW
    for panel in app.query(ThinkingPanel):
        panel.started = 0.0
        panel.seconds = 1.5 if panel.seconds is not None else None


def settle_figures(app) -> None:
    """Thinking panels already on screen show the fixed duration; the status line its fixed figures."""
    from rtchat.ui.widgets.transcript.thinking import ThinkingPanel

    for panel in app.query(ThinkingPanel):
        if panel.state != "thinking":
            panel.seconds = 1.5
        panel.refresh_title()
    if app.status.facts.ttft_ms is not None:
        app.status.show(connect_ms=12.0, ttft_ms=34.0, tokens_per_s=56.0)
    if app.status.facts.connect_ms is not None:
        app.status.show(connect_ms=12.0)

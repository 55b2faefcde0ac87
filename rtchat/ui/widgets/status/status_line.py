"""One line of facts: model, protocol, state, effort, and the live turn figures.

The line fits the terminal's width by dropping the least important facts first
(see status_facts); it re-fits on every resize. In voice mode the turn state
gives way to the voice state, with an input level meter while listening.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

from rtchat.turns.base import TurnStats
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.status.status_facts import StatusFacts, format_status, level_meter

if TYPE_CHECKING:
    from rtchat.live.connection import LiveConnection

__all__ = ["StatusFacts", "StatusLine", "format_status", "level_meter"]


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text; }
    """

    SHARING_STYLE = "bold $text on $error"  # the share indicator: red, first, never dropped

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sharing: str | None = None  # "sharing screen · 1 fps · 14 frames" while anything is shared
        self.facts = StatusFacts()
        self._shown = ""
        self._watched: LiveConnection | None = None  # the live connection whose state is shown

    @property
    def text(self) -> str:
        """What the line shows at its current width (a share's indicator first, whole: the facts make room)."""
        width = self.content_size.width or None
        if self.sharing is None:
            return format_status(self.facts, width)
        room = None if width is None else width - len(self.sharing) - 3
        rest = format_status(self.facts, room) if room is None or room > 1 else ""
        return f"{self.sharing} │ {rest}" if rest else self.sharing

    def render(self):
        shown = literal(self.text)
        return shown.stylize(self.SHARING_STYLE, 0, len(self.sharing)) if self.sharing else shown

    def show_sharing(self, indicator: str | None) -> None:
        """The share's indicator (None: nothing is shared)."""
        if indicator != self.sharing:
            self.sharing = indicator
            self.refresh()

    def show(self, **changes) -> None:
        for name, value in changes.items():
            setattr(self.facts, name, value)
        self._repaint()

    def reset_turn(self) -> None:
        self.facts.reset_turn()
        self._repaint()

    def begin_turn(self) -> None:
        """The prompt left: "waiting for the first token", and none of the last turn's figures."""
        self.facts.begin_turn()
        self._repaint()

    def clear_figures(self) -> None:
        """Another model (or a kept racer) is current: the last turn's figures were not its."""
        self.facts.clear_figures(self.facts.state if self.facts.state == "starting" else "idle")
        self._repaint()

    def _repaint(self) -> None:
        text = format_status(self.facts)
        if text != self._shown:
            self._shown = text
            self.refresh()  # one line, always: no re-layout

    def show_clock(self, clock: TurnStats) -> None:
        """A turn's figures, read from its own clock (rtchat.metrics): the same the history and the bench keep."""
        self.show(connect_ms=clock.connect_ms, ttft_ms=clock.ttft_ms, tokens_per_s=clock.tokens_per_s, usage=clock.usage)

    def watch_connection(self, connection: LiveConnection | None) -> None:
        """Show the state of the socket or call a turn runs on, and follow it until another is watched."""
        if connection is None:
            self._watched = None  # the old connection's later changes are not this protocol's
            self.show(socket=None)
            return
        if connection is not self._watched:
            self._watched = connection

            def changed(state: str) -> None:
                if connection is self._watched:
                    self.show(socket=state)

            connection.add_listener(changed)
        self.show(socket=connection.state)

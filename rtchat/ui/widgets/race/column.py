"""One racer's column: its name, marks, live figures and answer; Enter keeps its answer.

The answer shows as literal text (not Markdown): columns redraw together ten
times a second, and plain text keeps that cheap however many columns stream.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from rtchat.race import Figures, Lane
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.race.figures import figure_lines, marks


class RaceColumn(Vertical, can_focus=True):
    BINDINGS = [Binding("enter", "keep", "Keep this answer", id="race.keep")]
    DEFAULT_CSS = """
    RaceColumn { border: round $panel; padding: 0 1; height: 1fr; }
    RaceColumn:focus-within, RaceColumn:focus { border: round $accent; }
    RaceColumn .race-title { text-style: bold; }
    RaceColumn .race-marks { color: $warning; }
    RaceColumn .race-figures { color: $text-muted; }
    RaceColumn VerticalScroll { height: 1fr; }
    """

    class Kept(Message):
        """Enter on a column: keep its answer as the conversation's reply."""

        def __init__(self, lane: Lane) -> None:
            super().__init__()
            self.lane = lane

    def __init__(self, lane: Lane, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lane = lane
        self._shown = ""

    def compose(self) -> ComposeResult:
        yield Static(literal(self.lane.spec.label), classes="race-title")
        yield Static("", classes="race-marks")
        yield Static("", classes="race-figures")
        with VerticalScroll(can_focus=False):
            yield Static("", classes="race-answer")

    def show(self, figures: Figures) -> None:
        """Redraw from the lane; the answer only when it grew."""
        self.query_one(".race-marks", Static).update(literal(marks(self.lane)))
        self.query_one(".race-figures", Static).update(literal(figure_lines(figures)))
        text = self.lane.text
        if text != self._shown:
            self._shown = text
            self.query_one(".race-answer", Static).update(literal(text))

    def action_keep(self) -> None:
        self.post_message(self.Kept(self.lane))

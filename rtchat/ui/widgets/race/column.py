"""One racer's column: its name, marks, live figures and answer; Enter keeps its answer.

The answer is rendered as the transcript renders it (the same inert Markdown,
`StreamingMarkdown`): each refresh appends only what arrived and renders a
bounded step, so several columns streaming long answers stay cheap and do not
hold up the loop that stamps every lane's arrivals.
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
from rtchat.ui.widgets.transcript.streaming_markdown import StreamingMarkdown


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
        self._final = False  # the last render (everything, not a bounded step) is queued

    def compose(self) -> ComposeResult:
        yield Static(literal(self.lane.spec.label), classes="race-title")
        yield Static("", classes="race-marks")
        yield Static("", classes="race-figures")
        with VerticalScroll(can_focus=False):
            yield StreamingMarkdown(classes="race-answer")

    def show(self, figures: Figures) -> None:
        """Redraw from the lane; the answer only when it grew."""
        self.query_one(".race-marks", Static).update(literal(marks(self.lane)))
        self.query_one(".race-figures", Static).update(literal(figure_lines(figures, self.lane.spec.protocol)))
        text = self.lane.text
        answer = self.query_one(".race-answer", StreamingMarkdown)
        if text != self._shown:
            if not text.startswith(self._shown):  # never expected (an answer only grows): start over
                answer.remove()
                answer = StreamingMarkdown(text, classes="race-answer")
                self.query_one(VerticalScroll).mount(answer)
            else:
                answer.append(text[len(self._shown) :])
            self._shown = text
            self.call_later(answer.flush)
        if not self.lane.running and not self._final:
            self._final = True
            self.call_later(answer.flush, True)

    def action_keep(self) -> None:
        self.post_message(self.Kept(self.lane))

"""The race view: one column per target, streaming together; Enter keeps a column's answer.

The race runs in a worker owned by this screen, so leaving it (Esc) stops every
lane. Ctrl-C stops all lanes and stays, so the partial answers can be compared.
Columns sit side by side when each gets at least `MIN_COLUMN` cells, else stack
in a scrolling list (an 80-column terminal with three racers).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Footer, Static

from rtchat.events import Done, Event
from rtchat.metrics import is_token
from rtchat.race import Figures, Lane, Race
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.race.column import RaceColumn

MIN_COLUMN = 34  # cells a column needs to show its figures unwrapped
REFRESH_SECONDS = 0.1
STACKED_HEIGHT = 10  # rows per column once stacked


class RaceScreen(Screen[Lane | None]):
    """Dismissed with the kept lane, or None when left without keeping one."""

    BINDINGS = [Binding("escape", "leave", "Close", id="race.close")]
    DEFAULT_CSS = """
    RaceScreen #race-head { height: auto; padding: 0 1; background: $boost; }
    RaceScreen #race-lanes { layout: horizontal; height: 1fr; }
    RaceScreen #race-lanes RaceColumn { width: 1fr; }
    RaceScreen.stacked #race-lanes { layout: vertical; }
    RaceScreen.stacked #race-lanes RaceColumn { width: 100%; height: %d; }
    """.replace("%d", str(STACKED_HEIGHT))

    def __init__(self, race: Race, figures: Callable[[Lane], Figures] = Lane.figures) -> None:
        """`figures` reads a lane's figures (a snapshot test passes fixed ones)."""
        super().__init__()
        self.race = race
        self.figures = figures
        self.finished = False
        self.columns = [RaceColumn(lane, id=f"race-lane-{index}") for index, lane in enumerate(race.lanes)]

    def compose(self) -> ComposeResult:
        count = len(self.race.lanes)
        yield Static(literal(f"Race: {count} targets · “{_short(self.race.prompt)}”\nEnter keeps the focused answer · Tab moves · Ctrl-C stops all · Esc closes"), id="race-head")
        with ScrollableContainer(id="race-lanes"):
            yield from self.columns
        yield Footer()

    def on_mount(self) -> None:
        self.columns[0].focus()
        self._timer = self.set_interval(REFRESH_SECONDS, self.refresh_columns)
        self.run_race()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width // max(1, len(self.columns)) < MIN_COLUMN, "stacked")

    @work(exclusive=True, group="race")
    async def run_race(self) -> None:
        try:
            await self.race.prepare()  # targets, turns, and every socket or call opened before the start
            if self.race.effort_note:  # every lane was sent effort off: say why above the columns
                head = self.query_one("#race-head", Static)
                head.update(literal(f"{head.render()}\n{self.race.effort_note}"))
            await self.race.run(self._watch)
        finally:
            self.finished = True
            self._timer.stop()
            self.refresh_columns()

    def _watch(self, lane: Lane, event: Event) -> None:
        """Marks and ends show at once; the steady stream waits for the next refresh."""
        if isinstance(event, Done) or (is_token(event) and lane.first_answer and lane.tokens == 1):
            self.refresh_columns()

    def refresh_columns(self) -> None:
        for column in self.columns:
            column.show(self.figures(column.lane))

    def stop_all(self) -> None:
        """Ctrl-C (routed here by the app): every lane stops at once, keeping what it showed."""
        self.race.cancel()

    def action_leave(self) -> None:
        self.race.cancel()
        self.dismiss(None)

    @on(RaceColumn.Kept)
    async def _kept(self, event: RaceColumn.Kept) -> None:
        lane = event.lane
        if not lane.text.strip():
            self.notify("this column has no answer to keep", severity="warning")
            return
        self.race.cancel()
        await self.race.done.wait()
        self.dismiss(lane)


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"

"""The bench in a modal: progress while it runs, then the table and the terminal chart.

It runs the same `run_bench` as `rtchat bench` in a worker owned by this
screen, so closing the screen (Esc) stops the bench.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from rtchat.ui.safe_text import literal

BENCH_PROMPT = "Write a few short paragraphs about the sea."
CHART_WIDTH = 50


class BenchScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="bench.close")]
    DEFAULT_CSS = """
    BenchScreen { align: center middle; }
    BenchScreen > ScrollableContainer { width: 104; max-width: 98%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    BenchScreen .title { text-style: bold; }
    BenchScreen ProgressBar { margin: 1 0 0 0; }
    BenchScreen #bench-step { color: $text-muted; }
    BenchScreen #bench-table, BenchScreen #bench-chart { margin: 1 0 0 0; width: auto; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, config, model: str, protocols: tuple[str, ...], runs: int, base_url: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.model = model
        self.protocols = protocols
        self.runs = runs
        self.base_url = base_url
        self.result = None

    def compose(self) -> ComposeResult:
        with ScrollableContainer():
            yield Static(literal(f"Benchmark: {self.model} over {', '.join(self.protocols)}, {self.runs} run(s) each — Esc closes"), classes="title")
            yield ProgressBar(total=None, show_eta=False, id="bench-progress")
            yield Static("starting the bench…", id="bench-step")
            yield Static("", id="bench-table", markup=False)
            yield Static("", id="bench-chart", markup=False)

    def on_mount(self) -> None:
        self.run_bench()

    def progress(self, done: int, total: int, label: str) -> None:
        self.query_one(ProgressBar).update(total=max(total, done, 1), progress=done)
        self.query_one("#bench-step", Static).update(literal(f"{done}/{max(total, done)} turns · {label}"))

    @work(exclusive=True, group="bench")
    async def run_bench(self) -> None:
        from rtchat.bench.chart_terminal import render_terminal_chart  # deferred: the bench's runner and charts load when a bench runs
        from rtchat.bench.runner import run_bench
        from rtchat.bench.table import render_table

        try:
            result = await run_bench(self.config, self.model, self.protocols, self.runs, BENCH_PROMPT, self.progress, base_url=self.base_url)
        except Exception as exc:  # the screen says why; the app goes on
            self.query_one("#bench-step", Static).update(literal(f"bench failed: {exc}"))
            return
        self.result = result
        step = self.query_one("#bench-step", Static)
        step.update(literal(f"done in {result.seconds:.1f} s"))
        self.query_one(ProgressBar).display = False
        self.query_one("#bench-table", Static).update(render_table(result))
        self.query_one("#bench-chart", Static).update(render_terminal_chart(result, width=CHART_WIDTH))

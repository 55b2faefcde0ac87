"""The palette's "Benchmark protocols for this model": `run_bench` from inside the app.

The bench is the one `rtchat bench` runs (rtchat.bench.runner); a paid
provider is asked about first, with the same estimate the CLI shows.
"""

from __future__ import annotations

from rtchat.ui.screens.bench_screen import BENCH_PROMPT, BenchScreen
from rtchat.ui.screens.confirm import ConfirmDialog


class BenchActions:
    """Mixed into RtChatApp; uses its config, target and bench_runs."""

    bench_runs: int

    def action_run_bench(self) -> None:
        from rtchat.bench.cost import estimate, is_free
        from rtchat.bench.plan import INTERRUPT_AFTER, STOP_AFTER, Plan

        target = self.target
        if target is None:
            self.notify("no model is selected yet", severity="warning")
            return
        protocols = tuple(target.info.protocols)
        screen = BenchScreen(self.config, target.ref, protocols, self.bench_runs, base_url=None if target.provider.id == "loopback" else target.base_url)
        if is_free(target.provider.id, target.base_url):
            self.push_screen(screen)
            return
        cost = estimate(Plan(protocols, self.bench_runs), BENCH_PROMPT, STOP_AFTER, INTERRUPT_AFTER).describe()
        question = f"This bench spends tokens on {target.provider.id} (paid): {cost}. Run it?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.push_screen(screen)

        self.push_screen(ConfirmDialog(question, yes="Run bench"), answered)

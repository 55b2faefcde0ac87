"""The palette's "Benchmark protocols for this model": the bench `rtchat bench` runs, from inside the app.

A paid provider is asked about first, with the same estimate the CLI shows;
the bench and cost modules load only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtchat.config import Config
from rtchat.target import Target, is_free
from rtchat.ui.screens.bench_screen import BENCH_PROMPT, BenchScreen


@dataclass(frozen=True)
class BenchOffer:
    screen: BenchScreen
    question: str | None  # None: free to run, no need to ask


def bench_offer(config: Config, target: Target, runs: int) -> BenchOffer:
    from rtchat.bench.cost import estimate  # deferred: the bench's modules load when a bench is first asked for
    from rtchat.bench.plan import INTERRUPT_AFTER, STOP_AFTER, Plan

    protocols = tuple(target.info.protocols)
    screen = BenchScreen(config, target.ref, protocols, runs, base_url=None if target.provider.id == "loopback" else target.base_url)
    if is_free(target.provider.id, target.base_url):
        return BenchOffer(screen, None)
    cost = estimate(Plan(protocols, runs), BENCH_PROMPT, STOP_AFTER, INTERRUPT_AFTER).describe(target.price)
    return BenchOffer(screen, f"This bench spends tokens on {target.provider.id} (paid): {cost}. Run it?")

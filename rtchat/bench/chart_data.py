"""What the charts draw: per protocol, the TTFT and inter-token gap samples."""

from __future__ import annotations

from dataclasses import dataclass

from rtchat.bench.result import BenchResult


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    series: dict[str, list[float]]  # protocol -> samples


def panels(result: BenchResult) -> list[Panel]:
    names = result.available()
    return [
        Panel("time to first token", "ms", {name: result.ttfts(name) for name in names}),
        Panel("inter-token latency", "ms", {name: result.gaps(name) for name in names}),
    ]

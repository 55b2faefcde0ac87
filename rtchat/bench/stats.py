"""The bench's statistics, pure and dependency-free.

Shared by `rtchat bench` and (later) the TUI's status line, so both describe a
stream the same way: inter-token gaps come from event arrival times, and every
summary is a median with its spread rather than a mean a single stall can skew.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass



def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` quantile (0..1) by linear interpolation between ranks; None when empty.

    Linear interpolation (NumPy's default) keeps small samples honest: the
    median of [1, 2] is 1.5, not whichever value a nearest-rank rule picks.
    """
    if not values:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, got {fraction}")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    weight = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * weight


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


@dataclass(frozen=True, slots=True)
class Summary:
    """Median with the spread around it; quartiles and p5/p95 feed the box plot."""

    n: int
    median: float
    min: float
    max: float
    p5: float
    p25: float
    p75: float
    p95: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(values: Iterable[float | None]) -> Summary | None:
    """Summary of the finite values given (None and NaN are skipped); None when nothing is left."""
    kept = sorted(v for v in values if v is not None and math.isfinite(v))
    if not kept:
        return None
    q = lambda fraction: percentile(kept, fraction)  # noqa: E731 - local shorthand
    return Summary(n=len(kept), median=q(0.5), min=kept[0], max=kept[-1], p5=q(0.05), p25=q(0.25), p75=q(0.75), p95=q(0.95))

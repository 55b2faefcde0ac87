"""The bench's statistics, pure and dependency-free.

Shared by `rtchat bench` and (later) the TUI's status line, so both describe a
stream the same way: inter-token gaps come from event arrival times, and every
summary is a median with its spread rather than a mean a single stall can skew.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction



def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` quantile (0..1) by linear interpolation between ranks; None when empty.

    Linear interpolation (NumPy's default, statistics' "inclusive" method) keeps small
    samples honest: the median of [1, 2] is 1.5, not whichever value a nearest-rank rule picks.
    """
    if not values:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, got {fraction}")
    share = Fraction(fraction).limit_denominator(1000)  # quantiles() cuts at i/n: 0.95 is cut 19 of 20
    return cut_points(values, share.denominator)[share.numerator]


def cut_points(values: Sequence[float], n: int) -> list[float]:
    """The minimum, the n - 1 cut points dividing the values into n equal shares, and the maximum."""
    if len(values) == 1:
        return [values[0]] * (n + 1)  # quantiles() wants two values before Python 3.13
    inner = statistics.quantiles(values, n=n, method="inclusive") if n > 1 else []
    return [min(values), *inner, max(values)]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


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
    cuts = cut_points(kept, 20)  # every 5 %
    return Summary(n=len(kept), median=cuts[10], min=kept[0], max=kept[-1], p5=cuts[1], p25=cuts[5], p75=cuts[15], p95=cuts[19])

"""Mapping values to positions for the bench's charts, shared by the SVG and terminal drawings.

Inter-token gaps are skewed (most near the pacing interval, a few long stalls),
so the axis turns logarithmic when the data spans more than ~1.5 decades;
otherwise a linear axis is easier to read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LOG_SPAN = 30.0  # max/min ratio past which the axis goes logarithmic


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    log: bool

    @classmethod
    def fit(cls, values: list[float]) -> "Scale":
        positive = [v for v in values if v > 0 and math.isfinite(v)]
        if not positive:
            return cls(0.0, 1.0, False)
        low, high = min(positive), max(positive)
        if high / low > LOG_SPAN:
            return cls(10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high)), True)
        step = nice_step((high - low) or high or 1.0)
        return cls(max(0.0, math.floor(low / step) * step), math.ceil(high / step) * step or step, False)

    def position(self, value: float) -> float:
        """0 at the low end of the axis, 1 at the high end; clamped."""
        if self.log:
            value = max(value, self.low)
            span = math.log10(self.high) - math.log10(self.low)
            where = (math.log10(value) - math.log10(self.low)) / span if span else 0.5
        else:
            span = self.high - self.low
            where = (value - self.low) / span if span else 0.5
        return min(1.0, max(0.0, where))

    def ticks(self) -> list[float]:
        if self.log:
            first, last = round(math.log10(self.low)), round(math.log10(self.high))
            return [10.0 ** e for e in range(first, last + 1)]
        step = nice_step(self.high - self.low)
        count = int(round((self.high - self.low) / step))
        return [self.low + i * step for i in range(count + 1)]


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 step giving about `target` intervals over `span`."""
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def tick_label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"

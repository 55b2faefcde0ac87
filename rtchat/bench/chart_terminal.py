"""The bench's distributions drawn in the terminal with Unicode blocks.

Per protocol, two rows: a histogram sparkline (where the samples fall) over a
box plot (whiskers p5-p95, box p25-p75, ┃ the median, · the extremes).
"""

from __future__ import annotations

from rtchat.bench.chart_data import Panel, panels
from rtchat.bench.result import BenchResult
from rtchat.bench.scale import Scale, tick_label
from rtchat.bench.stats import summarize
from rtchat.bench.table import number

BARS = " ▁▂▃▄▅▆▇█"


def render_terminal_chart(result: BenchResult, width: int = 60) -> str:
    blocks = [render_panel(panel, width) for panel in panels(result) if any(panel.series.values())]
    return "\n\n".join(blocks)


def render_panel(panel: Panel, width: int) -> str:
    scale = Scale.fit([v for values in panel.series.values() for v in values])
    label_width = max(len(name) for name in panel.series) + 1
    axis_note = ", log scale" if scale.log else ""
    lines = [f"{panel.title} ({panel.unit}{axis_note})"]
    for name, values in panel.series.items():
        summary = summarize(values)
        if summary is None:
            lines.append(f"{name:<{label_width}} (no samples)")
            continue
        lines.append(" " * label_width + "│" + sparkline(values, scale, width))
        lines.append(f"{name:<{label_width}}│" + box_row(values, scale, width) + f" median {number(summary.median)}")
    lines.append(" " * label_width + "└" + "─" * width)
    lines.append(" " * (label_width + 1) + tick_row(scale, width))
    return "\n".join(lines)


def column(scale: Scale, value: float, width: int) -> int:
    return min(width - 1, int(scale.position(value) * (width - 1) + 0.5))


def sparkline(values: list[float], scale: Scale, width: int) -> str:
    counts = [0] * width
    for value in values:
        counts[column(scale, value, width)] += 1
    peak = max(counts) or 1
    return "".join(BARS[0] if c == 0 else BARS[max(1, round(c / peak * (len(BARS) - 1)))] for c in counts)


def box_row(values: list[float], scale: Scale, width: int) -> str:
    summary = summarize(values)
    row = [" "] * width
    at = lambda value: column(scale, value, width)  # noqa: E731 - local shorthand
    for i in range(at(summary.p5), at(summary.p95) + 1):
        row[i] = "─"
    for i in range(at(summary.p25), at(summary.p75) + 1):
        row[i] = "█"
    for value in (summary.min, summary.max):
        if row[at(value)] == " ":
            row[at(value)] = "·"
    row[at(summary.median)] = "┃"
    return "".join(row)


def tick_row(scale: Scale, width: int) -> str:
    row = [" "] * (width + 8)
    for tick in scale.ticks():
        text = tick_label(tick)
        start = min(column(scale, tick, width), width + 8 - len(text))
        if all(ch == " " for ch in row[max(0, start - 1): start + len(text) + 1]):
            row[start: start + len(text)] = text
    return "".join(row).rstrip()

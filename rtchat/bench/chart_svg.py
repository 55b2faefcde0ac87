"""The bench's distributions as a standalone SVG: a strip of every sample under a box plot.

Written as text (no plotting library is a dependency): one panel per figure,
one lane per protocol; dots are jittered deterministically so the file is the
same for the same samples.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from rtchat.bench import seed
from rtchat.bench.chart_data import Panel, panels
from rtchat.bench.result import BenchResult
from rtchat.bench.scale import Scale, tick_label
from rtchat.bench.stats import summarize
from rtchat.bench.table import number

WIDTH = 760
LEFT, RIGHT = 110, 30
LANE = 56
PANEL_TOP, PANEL_BOTTOM = 44, 40
MAX_DOTS = 3000  # per lane; beyond this an even subsample keeps the file small
COLOURS = {"sse": "#4e79a7", "websocket": "#f28e2b", "webrtc": "#59a14f"}
FALLBACK = ("#e15759", "#76b7b2", "#edc948", "#b07aa1")


def render_svg(result: BenchResult) -> str:
    drawn = [panel for panel in panels(result) if any(panel.series.values())]
    parts: list[str] = []
    top = 50
    for panel in drawn:
        svg, height = panel_svg(panel, top)
        parts.append(svg)
        top += height
    notes = figure_lines(result)
    for index, line in enumerate(notes):
        parts.append(f'<text x="{LEFT}" y="{top + 18 * (index + 1)}" fill="{"#222" if index == 0 or line.startswith("thinking") else "#444"}">{escape(line)}</text>')
    top += 18 * len(notes) + (10 if notes else 0)
    title = escape(f"rtchat bench: {result.model} ({result.runs} runs per protocol)")
    height = top + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, sans-serif" font-size="12">\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n'
        f'<text x="{LEFT}" y="28" font-size="16" font-weight="600" fill="#222">{title}</text>\n'
        + "\n".join(parts)
        + "\n</svg>\n"
    )


def figure_lines(result: BenchResult) -> list[str]:
    """The passes' medians as text under the charts, each beside the seed's quoted figure."""
    lines = []
    thinking = result.thinking() or {}
    if thinking:
        lines.append(f"thinking pass ({result.thinking_model}): time to the first answer token, answer tok/s; seed quoted")
        for budget, row in thinking.items():
            ttft, rate = (row[key]["median"] if row[key] else None for key in ("ttft_ms", "tokens_per_s"))
            quoted = seed.THINKING.get(budget, (None, None))
            lines.append(f"  {budget}: {number(ttft)} ms, {number(rate)} tok/s   (seed: {number(quoted[0])} ms, {number(quoted[1])} tok/s)")
    for name in result.available():
        cache = result.cache(name)
        if cache and cache["ttft_cold_ms"] and cache["ttft_warm_ms"]:
            saving = "" if cache.get("input_saving") is None else f", input {cache['input_saving']:.0%} cheaper"
            lines.append(f"cache pass, {name}: TTFT fresh {number(cache['ttft_cold_ms']['median'])} ms, repeated "
                         f"{number(cache['ttft_warm_ms']['median'])} ms{saving}   (seed: {seed.CACHE_TTFT_MISS_MS:g} / "
                         f"{seed.CACHE_TTFT_HIT_MS:g} ms, up to {seed.CACHE_INPUT_SAVING:.0%} off)")
    if lines and result.loopback:
        lines.append("measured on rtchat's loopback (a model of a server); seed figures quoted from the article")
    return lines


def panel_svg(panel: Panel, top: float) -> tuple[str, float]:
    scale = Scale.fit([v for values in panel.series.values() for v in values])
    plot_width = WIDTH - LEFT - RIGHT
    x = lambda value: LEFT + scale.position(value) * plot_width  # noqa: E731 - local shorthand
    lanes_top = top + PANEL_TOP
    bottom = lanes_top + LANE * len(panel.series)
    note = ", log scale" if scale.log else ""
    out = [f'<text x="{LEFT}" y="{top + 24}" font-size="14" fill="#222">{escape(panel.title)} ({panel.unit}{note})</text>']
    for tick in scale.ticks():
        tx = x(tick)
        out.append(f'<line x1="{tx:.1f}" y1="{lanes_top}" x2="{tx:.1f}" y2="{bottom}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#555">{tick_label(tick)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_width}" y2="{bottom}" stroke="#888"/>')
    for index, (name, values) in enumerate(panel.series.items()):
        out.extend(lane_svg(name, values, lanes_top + index * LANE, x, index))
    return "\n".join(out), PANEL_TOP + LANE * len(panel.series) + PANEL_BOTTOM


def lane_svg(name: str, values: list[float], top: float, x, index: int) -> list[str]:
    colour = COLOURS.get(name) or FALLBACK[index % len(FALLBACK)]
    middle = top + LANE / 2
    out = [f'<text x="{LEFT - 10}" y="{middle + 4:.1f}" text-anchor="end" fill="#222">{escape(name)}</text>']
    summary = summarize(values)
    if summary is None:
        return out + [f'<text x="{LEFT}" y="{middle + 4:.1f}" fill="#999">no samples</text>']
    step = max(1, len(values) // MAX_DOTS)
    for i, value in enumerate(values[::step]):
        jitter = ((i * 0.6180339887) % 1.0 - 0.5) * (LANE * 0.55)
        out.append(f'<circle cx="{x(value):.1f}" cy="{middle + jitter:.1f}" r="2.2" fill="{colour}" fill-opacity="0.3"/>')
    box_half = LANE * 0.22
    out.append(f'<line x1="{x(summary.p5):.1f}" y1="{middle}" x2="{x(summary.p95):.1f}" y2="{middle}" stroke="#333" stroke-width="1.2"/>')
    for end in (summary.p5, summary.p95):
        out.append(f'<line x1="{x(end):.1f}" y1="{middle - box_half / 2:.1f}" x2="{x(end):.1f}" y2="{middle + box_half / 2:.1f}" stroke="#333"/>')
    left, right = x(summary.p25), x(summary.p75)
    out.append(
        f'<rect x="{left:.1f}" y="{middle - box_half:.1f}" width="{max(right - left, 1.0):.1f}" height="{2 * box_half:.1f}" '
        f'fill="{colour}" fill-opacity="0.25" stroke="{colour}" stroke-width="1.5"/>'
    )
    mx = x(summary.median)
    out.append(f'<line x1="{mx:.1f}" y1="{middle - box_half:.1f}" x2="{mx:.1f}" y2="{middle + box_half:.1f}" stroke="#111" stroke-width="2.5"/>')
    out.append(f'<text x="{mx:.1f}" y="{middle - box_half - 4:.1f}" text-anchor="middle" fill="#111">{number(summary.median)} (n={summary.n})</text>')
    return out

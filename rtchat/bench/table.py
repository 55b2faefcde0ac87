"""The bench's results as a plain-text table: median with min-max, one column per protocol."""

from __future__ import annotations

from rtchat.bench import seed
from rtchat.bench.result import METRICS, BenchResult
from rtchat.loopback.shape import THINK_TIME_SCALE
from rtchat.bench.stats import Summary

LABEL_WIDTH = 24


def number(value: float | None) -> str:
    """Few digits, but enough to tell 0.4 ms from 0.04 ms."""
    if value is None:
        return "-"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(summary: Summary | None, unit: str) -> str:
    if summary is None:
        return "-"
    spread = "" if summary.n == 1 else f" ({number(summary.min)}-{number(summary.max)})"
    return f"{number(summary.median)} {unit}{spread}"


def grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    widths[0] = max(widths[0], LABEL_WIDTH)
    return ["  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in rows]


def render_table(result: BenchResult) -> str:
    names = result.available()
    lines = [
        f"rtchat bench: {result.model}, {result.runs} run(s) per protocol, "
        f"measured turns stopped after {result.stop_after} tokens, interrupt after {result.interrupt_after}",
        "median (min-max) over runs; inter-token p50/p95 over every gap of every run, as the chart; every turn opens its own connection",
        "",
    ]
    if names:
        rows = [["", *names], ["set-up measures", *(_setup(result, n) for n in names)]]
        for key, label, unit in METRICS:
            rows.append([label, *(cell(result.metric(name, key), unit) for name in names)])
        rows.append(["tokens after cancel", *(_late(result.late_tokens(name)) for name in names)])
        rows.append(["seed: latency (quoted)", *(seed.PROTOCOL_LATENCY.get(name, "-") for name in names)])
        lines += grid(rows)
        lines += _cache_lines(result, names)
    else:
        lines.append("no protocol could be measured")
    lines += thinking_lines(result)
    if result.loopback:
        lines += ["", "every figure above came from rtchat's loopback: a model of a server (loopback/shape.py), not a provider; "
                      "the seed's figures are quoted from the article, not measured here"]
    for status in result.protocols:
        if not status.available:
            lines.append(f"{status.name}: not available - {status.reason}")
    failed = sum(1 for sample in result.samples if sample.error)
    if failed:
        lines.append(f"{failed} turn(s) failed and are left out of the figures (see --json)")
    return "\n".join(lines)


def _late(summary: Summary | None) -> str:
    return "-" if summary is None else f"{summary.median:g} (max {summary.max:g})"


def _setup(result: BenchResult, name: str) -> str:
    return next(s.setup for s in result.protocols if s.name == name)


def _cache_lines(result: BenchResult, names: list[str]) -> list[str]:
    caches = {name: result.cache(name) for name in names}
    if not any(caches.values()):
        return []
    lines = ["", f"cache pass ({result.cache_model}, a long prefix fresh vs repeated):"]
    rows = [["", *names]]
    rows.append(["TTFT, fresh prefix", *(cell(_summary(caches[n], "ttft_cold_ms"), "ms") for n in names)])
    rows.append(["TTFT, repeated prefix", *(cell(_summary(caches[n], "ttft_warm_ms"), "ms") for n in names)])
    rows.append(["tokens cached", *(_cached(caches[n]) for n in names)])
    if any(c and c.get("input_cost_fresh_usd") is not None for c in caches.values()):
        rows.append(["input cost, fresh prefix", *(_usd(caches[n], "input_cost_fresh_usd") for n in names)])
        rows.append(["input cost, repeated", *(_usd(caches[n], "input_cost_repeated_usd") for n in names)])
        rows.append(["saving", *(_share(caches[n]) for n in names)])
    lines += grid(rows)
    if result.price_note:
        lines.append(f"prices: {result.price_note}")
    lines.append(
        f"seed (DeepSeek V4, quoted): first byte {seed.CACHE_TTFT_MISS_MS:g} ms on a miss, {seed.CACHE_TTFT_HIT_MS:g} ms on a hit; "
        f"up to {seed.CACHE_INPUT_SAVING:.0%} off cached input"
    )
    return lines


def thinking_lines(result: BenchResult) -> list[str]:
    """TTFT and tokens/s of the answer by thinking budget, the seed's figures beside them."""
    if result.thinking_skipped:
        return ["", f"thinking pass: not run - {result.thinking_skipped}"]
    rows_by_budget = result.thinking()
    if not rows_by_budget:
        return []
    lines = ["", f"thinking pass ({result.thinking_model} over {result.thinking_protocol}; time to the first answer token, not the first thought):"]
    rows = [["budget", "TTFT", "answer tok/s", "thinking tokens", "seed TTFT", "seed tok/s"]]
    for budget, row in rows_by_budget.items():
        quoted = seed.THINKING.get(budget)
        thought = row["thinking_tokens"]
        rows.append([
            budget, cell(_as_summary(row["ttft_ms"]), "ms"), cell(_as_summary(row["tokens_per_s"]), "tok/s"),
            "-" if thought is None else f"{thought:,.0f}",
            "-" if quoted is None else f"{number(quoted[0])} ms", "-" if quoted is None else f"{quoted[1]:g} tok/s",
        ])
    lines += grid(rows)
    if result.loopback and str(result.thinking_model).partition("@")[2].find("scale=") < 0:
        lines.append(f"loopback/think runs the seed's shape at {THINK_TIME_SCALE:g}x its time (loopback/think@scale=1: the seed's own speed)")
    return lines


def _as_summary(data: dict | None) -> Summary | None:
    return Summary(**data) if data else None


def _usd(cache: dict | None, key: str) -> str:
    value = cache and cache.get(key)
    return "-" if value is None else f"${value:.6f}"


def _share(cache: dict | None) -> str:
    saving = cache and cache.get("input_saving")
    return "-" if saving is None else f"{saving:.0%}"


def _summary(cache: dict | None, key: str) -> Summary | None:
    return _as_summary(cache and cache.get(key))


def _cached(cache: dict | None) -> str:
    if not cache or not cache["reported"]:
        return "not reported by the provider"
    cold, warm, total = cache["cached_tokens_cold"], cache["cached_tokens_warm"], cache["input_tokens"]
    of = f" of {total:,.0f}" if total else ""
    return f"{cold or 0:,.0f} -> {warm:,.0f}{of}"

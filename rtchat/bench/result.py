"""What a bench run produced: the raw samples, and the summaries read from them.

Samples are kept raw (every gap of every turn) so `--json` can be re-analysed
later; summaries are computed from them on demand, never stored separately.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from rtchat.bench import seed
from rtchat.bench.stats import Summary, median, percentile, summarize

# Kinds of turn: "measured" streams up to the token limit, "interrupt" is cancelled after a
# few tokens, "cache_cold"/"cache_warm" run with a fresh or a repeated long prefix.
MEASURED, INTERRUPT, CACHE_COLD, CACHE_WARM = "measured", "interrupt", "cache_cold", "cache_warm"
THINKING = "thinking"  # the thinking pass: one turn at one budget (Sample.budget)

# The table's rows, in order: key, label, unit.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("connect_ms", "connection set-up", "ms"),
    ("ttft_ms", "time to first token", "ms"),
    ("itl_p50_ms", "inter-token p50", "ms"),
    ("itl_p95_ms", "inter-token p95", "ms"),
    ("tokens_per_s", "tokens/s", "tok/s"),
    ("interrupt_ms", "interrupt latency", "ms"),
)
ITL_PERCENTILES = {"itl_p50_ms": 0.5, "itl_p95_ms": 0.95}  # over the pooled gaps: see BenchResult.metric


@dataclass
class Sample:
    """One turn's figures; None where that turn kind does not measure it."""

    protocol: str
    kind: str
    run: int
    connect_ms: float | None = None
    ttft_ms: float | None = None
    gaps_ms: list[float] = field(default_factory=list)
    tokens: int = 0
    tokens_per_s: float | None = None
    interrupt_ms: float | None = None
    tokens_after_cancel: int = 0
    input_tokens: int | None = None
    cached_tokens: int | None = None
    done: str | None = None
    error: str | None = None
    budget: str | None = None  # the thinking pass's row ("off", "1K", ...)
    thinking_tokens: int | None = None  # the thinking pass: as the provider counted them, else the deltas that arrived

    @property
    def itl_p50_ms(self) -> float | None:
        return percentile(self.gaps_ms, ITL_PERCENTILES["itl_p50_ms"])

    @property
    def itl_p95_ms(self) -> float | None:
        return percentile(self.gaps_ms, ITL_PERCENTILES["itl_p95_ms"])


@dataclass
class ProtocolStatus:
    name: str
    setup: str
    available: bool
    reason: str | None = None


@dataclass
class BenchResult:
    model: str
    prompt: str
    runs: int
    stop_after: int
    interrupt_after: int
    cache_model: str | None
    protocols: list[ProtocolStatus]
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    thinking_model: str | None = None  # the thinking pass's model, None: no pass
    thinking_protocol: str | None = None
    thinking_skipped: str | None = None  # why the pass did not run
    input_price: tuple[float, float] | None = None  # $ per million input tokens, fresh and cached; None: unknown
    price_note: str = ""
    loopback: bool = False  # the figures came from rtchat's loopback (a model of a server, not a server)

    def available(self) -> list[str]:
        return [status.name for status in self.protocols if status.available]

    def of(self, protocol: str, kind: str) -> list[Sample]:
        return [s for s in self.samples if s.protocol == protocol and s.kind == kind and s.error is None]

    def metric(self, protocol: str, key: str) -> Summary | None:
        """A table cell: the metric over this protocol's turns of the kind that measures it.

        The inter-token percentiles are one figure with one definition, the chart's: the
        percentile of every gap of every measured turn, pooled (a run's own percentile
        would weigh a short run like a long one). Their min-max is still the runs' spread."""
        kind = INTERRUPT if key == "interrupt_ms" else MEASURED
        per_run = summarize(getattr(sample, key) for sample in self.of(protocol, kind))
        fraction = ITL_PERCENTILES.get(key)
        pooled = None if fraction is None else percentile(self.gaps(protocol), fraction)
        return per_run if per_run is None or pooled is None else replace(per_run, median=pooled)

    def gaps(self, protocol: str) -> list[float]:
        """Every inter-token gap of the measured turns, pooled: the distribution the chart draws."""
        return [gap for sample in self.of(protocol, MEASURED) for gap in sample.gaps_ms]

    def ttfts(self, protocol: str) -> list[float]:
        return [s.ttft_ms for s in self.of(protocol, MEASURED) if s.ttft_ms is not None]

    def cache(self, protocol: str) -> dict | None:
        """TTFT with a fresh vs a repeated prefix and the tokens the provider said it cached."""
        cold, warm = self.of(protocol, CACHE_COLD), self.of(protocol, CACHE_WARM)
        if not cold and not warm:
            return None
        reported = [s.cached_tokens for s in warm if s.cached_tokens is not None]
        cache = {
            "ttft_cold_ms": _dict(summarize(s.ttft_ms for s in cold)),
            "ttft_warm_ms": _dict(summarize(s.ttft_ms for s in warm)),
            "input_tokens": median([s.input_tokens for s in warm if s.input_tokens is not None]),
            "cached_tokens_cold": median([s.cached_tokens for s in cold if s.cached_tokens is not None]),
            "cached_tokens_warm": median(reported),
            "reported": bool(reported),
        }
        return cache | self._input_costs(cold, warm)

    def _input_costs(self, cold: list[Sample], warm: list[Sample]) -> dict:
        """The input's price, fresh vs repeated prefix (median turn of each), and the share saved."""
        if self.input_price is None:
            return {"input_cost_fresh_usd": None, "input_cost_repeated_usd": None, "input_saving": None}
        fresh = median([self._input_usd(s) for s in cold if s.input_tokens is not None])
        repeated = median([self._input_usd(s) for s in warm if s.input_tokens is not None])
        saving = 1 - repeated / fresh if fresh and repeated is not None else None
        return {"input_cost_fresh_usd": fresh, "input_cost_repeated_usd": repeated, "input_saving": saving}

    def _input_usd(self, sample: Sample) -> float:
        full, cached_price = self.input_price
        cached = min(sample.cached_tokens or 0, sample.input_tokens or 0)
        return ((sample.input_tokens - cached) * full + cached * cached_price) / 1e6

    def thinking(self) -> dict[str, dict] | None:
        """Per budget row: time to the first answer token, the answer's tokens/s, thinking tokens."""
        if self.thinking_model is None:
            return None
        rows = {}
        for budget in dict.fromkeys(s.budget for s in self.samples if s.kind == THINKING):
            turns = [s for s in self.samples if s.kind == THINKING and s.budget == budget and s.error is None]
            rows[budget] = {
                "ttft_ms": _dict(summarize(s.ttft_ms for s in turns)),
                "tokens_per_s": _dict(summarize(s.tokens_per_s for s in turns)),
                "thinking_tokens": median([s.thinking_tokens for s in turns if s.thinking_tokens is not None]),
            }
        return rows

    def late_tokens(self, protocol: str) -> Summary | None:
        """Tokens still delivered after cancel() on the interrupt turns (0 = stopped at once)."""
        return summarize(s.tokens_after_cancel for s in self.of(protocol, INTERRUPT))

    def summary(self) -> dict:
        return {
            name: {key: _dict(self.metric(name, key)) for key, _, _ in METRICS}
            | {"tokens_after_cancel": _dict(self.late_tokens(name)), "cache": self.cache(name)}
            for name in self.available()
        }

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "prompt": self.prompt,
            "runs": self.runs,
            "stop_after_tokens": self.stop_after,
            "interrupt_after_tokens": self.interrupt_after,
            "cache_model": self.cache_model,
            "seconds": round(self.seconds, 3),
            "protocols": {s.name: {"available": s.available, "reason": s.reason, "setup": s.setup} for s in self.protocols},
            "summary": self.summary(),
            "thinking": {"model": self.thinking_model, "protocol": self.thinking_protocol, "skipped": self.thinking_skipped, "budgets": self.thinking()},
            "figures_from": "the loopback (rtchat's model of a server)" if self.loopback else self.model,
            "seed": seed.as_json(),
            "samples": [asdict(s) for s in self.samples],
        }


def _dict(summary: Summary | None) -> dict | None:
    return None if summary is None else summary.to_dict()

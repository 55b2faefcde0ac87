"""The bench's statistics on synthetic samples, where the right answer is known."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtchat.bench.scale import Scale
from rtchat.bench.stats import median, percentile, summarize
from rtchat.metrics import gaps_ms, tokens_per_second


def test_median_of_odd_and_even_samples():
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5


def test_percentiles_interpolate_between_ranks():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 0.0) == 1
    assert percentile(values, 1.0) == 100
    assert percentile(values, 0.5) == pytest.approx(50.5)
    assert percentile(values, 0.95) == pytest.approx(95.05)
    assert percentile([10.0, 20.0], 0.25) == pytest.approx(12.5)


def test_empty_and_single_samples():
    assert percentile([], 0.5) is None
    assert median([]) is None
    assert summarize([]) is None
    assert summarize([None, float("nan")]) is None
    one = summarize([7.0])
    assert (one.n, one.median, one.min, one.max, one.p5, one.p95) == (1, 7.0, 7.0, 7.0, 7.0, 7.0)
    assert gaps_ms([]) == [] and gaps_ms([1.0]) == []
    assert tokens_per_second([]) is None and tokens_per_second([1.0]) is None


def test_percentile_rejects_fractions_outside_zero_to_one():
    with pytest.raises(ValueError):
        percentile([1.0], 95)


def test_inter_token_gaps_come_from_arrival_times_in_ms():
    arrivals = [10.000, 10.001, 10.003, 10.010]
    assert gaps_ms(arrivals) == pytest.approx([1.0, 2.0, 7.0])


def test_tokens_per_second_excludes_the_wait_for_the_first_token():
    arrivals = [5.0 + i * 0.01 for i in range(101)]  # 101 tokens, 10 ms apart
    assert tokens_per_second(arrivals) == pytest.approx(100.0)
    assert tokens_per_second([2.0, 2.0]) is None  # no span: no rate, not infinity


def test_a_burst_too_short_to_mean_a_rate_has_none():
    """13 tokens at 400 tok/s span 30 ms: under RATE_MIN_SPAN_S, so no rate rather than a wild one."""
    burst = [1.0 + i / 400 for i in range(13)]
    assert tokens_per_second(burst) is None
    assert tokens_per_second([1.0 + i / 100 for i in range(13)]) == pytest.approx(100.0)  # 120 ms: a rate


def test_summary_skips_missing_values_and_orders_its_quantiles():
    summary = summarize([3.0, None, 1.0, 2.0, 4.0, 100.0])
    assert summary.n == 5
    assert summary.median == 3.0
    assert (summary.min, summary.max) == (1.0, 100.0)
    assert summary.min <= summary.p5 <= summary.p25 <= summary.median <= summary.p75 <= summary.p95 <= summary.max


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200))
def test_quantiles_stay_within_the_samples(values):
    summary = summarize(values)
    assert summary.min == min(values) and summary.max == max(values)
    for value in (summary.p5, summary.p25, summary.median, summary.p75, summary.p95):
        assert summary.min <= value <= summary.max or math.isclose(value, summary.min) or math.isclose(value, summary.max)


def test_chart_scale_goes_logarithmic_only_for_wide_spreads():
    narrow = Scale.fit([3.1, 3.9, 4.4])
    assert not narrow.log and narrow.position(narrow.low) == 0.0 and narrow.position(narrow.high) == 1.0
    wide = Scale.fit([0.002, 1.1, 40.0])
    assert wide.log and wide.ticks()[0] <= 0.002 and wide.ticks()[-1] >= 40.0
    assert 0.0 < wide.position(1.0) < 1.0

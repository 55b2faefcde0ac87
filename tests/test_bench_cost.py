"""The bench's paid-provider question: dollars from the pricing table, checked by hand."""

from __future__ import annotations

import pytest

from rtchat.bench.cost import Estimate
from rtchat.pricing import Price, price_for


def test_the_estimate_in_dollars_is_every_token_at_the_full_price():
    # 1,000 input tokens at $2/M = $0.002; 500 output tokens at $8/M = $0.004.
    assert Estimate(3, 1_000, 500).dollars(Price(2.00, 8.00, cached_input=0.50)) == pytest.approx(0.006)


def test_the_question_names_the_dollars_and_the_tokens():
    said = Estimate(7, 12_000, 4_000).describe(price_for("openai/gpt-4.1"))
    # 12,000 x $2/M + 4,000 x $8/M = $0.024 + $0.032 = $0.056
    assert said.startswith("at most ~$0.06: about 7 turns, ~12,000 input tokens")


def test_a_model_with_no_known_price_says_so_rather_than_guessing():
    said = Estimate(7, 12_000, 4_000).describe(price_for("openai/some-future-model"))
    assert "no price known" in said and "$" not in said

"""The demo server's arithmetic: what it computes, and what it refuses without ever running it."""

from __future__ import annotations

import pytest

from rtchat.tools.arithmetic import MAX_EXPRESSION, Refused, calculate


@pytest.mark.parametrize(
    ("expression", "value"),
    [("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("-2 ** 2", -4), ("7 // 2", 3), ("7 % 3", 1), ("7 / 2", 3.5), ("2 ** -1", 0.5), ("+3", 3), ("1e3 * 2", 2000.0), ("2 ** 100", 2**100), ("(" * 150 + "1" + ")" * 150, 1)],
)
def test_it_computes_arithmetic(expression, value):
    assert calculate(expression) == value


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("__import__('os').system('true')", "only numbers"),
        ("x + 1", "only numbers"),
        ("[1, 2]", "only numbers"),
        ("'a' * 3", "only numbers"),
        ("True + 1", "only numbers"),
        ("1 < 2", "only numbers"),
        ("9 ** 9 ** 9", "too large"),
        ("10 ** 10000", "too large"),
        ("(10 ** 1000) * (10 ** 1000)", "too large"),
        ("1e308 * 10", "too large"),
        ("1 / 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("(-8) ** 0.5", "not a real number"),
        ("1 +", "not an arithmetic expression"),
        ("1" * (MAX_EXPRESSION + 1), "longer than"),
        ("(" * 499 + "1" + ")" * 499, "not an arithmetic expression"),
        ("-" * 999 + "1", "nested too deeply"),
    ],
)
def test_it_refuses_anything_else_in_words(expression, words):
    with pytest.raises(Refused, match=words):
        calculate(expression)

"""Every decoder against real recorded streams (see tests/fixtures/README.md for sources).

Each `NAME.sse` has a `NAME.expected.json` worked out by hand from the stream,
independently of rtchat's code.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.streams import decode_chunks, summary
from tests.support.wire_fixtures import CASES, wire_for


def test_fixtures_present():
    assert len(CASES) >= 8, "tests/fixtures/sse should hold the gathered recordings"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_fixture_decodes_to_expected(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    got = summary(decode_chunks(wire_for(path), [path.read_bytes()]))
    assert got["text"] == expected["text"]
    assert got["thinking"] == expected["thinking"]
    assert got["done"] == expected["done"]
    assert got["error"] == expected.get("error", False)
    for field, value in (expected.get("usage") or {}).items():
        if value is not None:
            assert got["usage"] is not None and got["usage"][field] == value, field


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fixture_split_invariance(path, data):
    raw = path.read_bytes()
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(raw)), max_size=20))))
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)])]
    assert decode_chunks(wire_for(path), chunks) == decode_chunks(wire_for(path), [raw])

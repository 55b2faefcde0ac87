"""Which targets a race has, and the cache hit a second race of the same prompt shows (real loopback)."""

from __future__ import annotations

import pytest

from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.race import Race, RaceSpec, parse_protocols, race_specs
from rtchat.session import Session

pytestmark = pytest.mark.usefixtures("isolated")

ALL = ("sse", "websocket", "webrtc")


def test_every_model_over_every_protocol_two_to_six():
    specs = race_specs(["a/x", "b/y"], ("sse", "websocket"), lambda model: ALL)
    assert [(s.model, s.protocol) for s in specs] == [("a/x", "sse"), ("a/x", "websocket"), ("b/y", "sse"), ("b/y", "websocket")]
    assert len(race_specs(["a/x"], None, lambda model: ALL)) == 3  # no --protocols: each model's own
    with pytest.raises(ValueError, match="2 to 6 targets"):
        race_specs(["a/x"], ("sse",), lambda model: ALL)
    with pytest.raises(ValueError, match="this one has 9"):
        race_specs(["a/x", "b/y", "c/z"], ALL, lambda model: ALL)
    with pytest.raises(ValueError, match="--protocols"):
        parse_protocols("sse,carrier-pigeon")
    assert parse_protocols(" SSE , webrtc ") == ("sse", "webrtc")


async def test_the_same_prompt_raced_twice_shows_the_cache_hit():
    session = Session(load_config())
    specs = [RaceSpec("loopback/echo@rate=0", protocol) for protocol in ALL]
    prompt = "a prompt long enough to be worth caching " * 8
    try:
        first = Race(session, specs, Conversation(system="be brief"), prompt)
        await first.run()
        second = Race(session, specs, Conversation(system="be brief"), prompt)
        await second.run()
    finally:
        await session.aclose()
    assert all(lane.reason == "complete" for lane in first.lanes + second.lanes)
    for lane in second.lanes:
        figures = lane.figures()
        assert figures.cached_tokens == figures.input_tokens > 0, lane.spec
        assert figures.saved_usd > 0 and figures.cost_usd > 0, lane.spec
    assert sum(lane.figures().saved_usd or 0 for lane in second.lanes) > sum(lane.figures().saved_usd or 0 for lane in first.lanes)

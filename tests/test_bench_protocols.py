"""The bench's protocol registry: a protocol the model does not offer is named, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from rtchat.bench.plan import Plan, cache_model_for
from rtchat.bench.protocols import runner_for
from rtchat.catalog import ModelInfo
from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.session import Session


@dataclass
class FakeTarget:
    info: ModelInfo
    ref: str = "loopback/lorem"


EVERYWHERE = FakeTarget(ModelInfo("lorem", protocols=("sse", "websocket", "webrtc")))


def test_a_protocol_the_model_does_not_offer_is_unavailable_by_catalog():
    sse_only = FakeTarget(ModelInfo("refusal"))
    assert "catalog" in runner_for("webrtc").unavailable_reason(sse_only)
    assert runner_for("webrtc").unavailable_reason(EVERYWHERE) is None


async def test_turns_are_opened_over_the_protocol_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path))
    session = Session(load_config())
    try:
        target = await session.resolve("loopback/echo")
        for name in ("sse", "websocket", "webrtc"):
            assert runner_for(name).open_turn(session, target, Conversation()).protocol == name
    finally:
        await session.aclose()


def test_protocol_order_rotates_by_run_and_turns_are_counted():
    plan = Plan(("sse", "websocket", "webrtc"), runs=4)
    assert plan.order(0) == ["sse", "websocket", "webrtc"]
    assert plan.order(1) == ["websocket", "webrtc", "sse"]
    assert plan.turns() == 3 * (1 + 8 + 1 + 8)
    assert Plan(("sse",), runs=2, cache_pass=False).turns() == 5


def test_the_cache_pass_uses_echo_instead_of_the_endless_lorem():
    assert cache_model_for("loopback/lorem@rate=1000") == "loopback/echo@rate=1000,prefill=5000"
    assert cache_model_for("loopback/echo@prefill=100") == "loopback/echo@prefill=100", "a reading speed asked for is kept"
    assert cache_model_for("openai/gpt-5-mini") == "openai/gpt-5-mini"

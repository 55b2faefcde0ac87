"""The bench's protocol registry: protocols that are not there yet are named, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rtchat.bench.plan import Plan, cache_model_for
from rtchat.bench.protocols import looks_unimplemented, runner_for, turn_accepts_protocol
from rtchat.catalog import ModelInfo


class SessionBefore:
    def turn(self, target, conversation, effort=None):
        return ("sse-only", None)


class FakeTurn:
    def __init__(self, protocol):
        if protocol != "sse":
            self.protocol = protocol


class SessionAfter:
    def turn(self, target, conversation, effort=None, protocol="sse"):
        return FakeTurn(protocol)


class SessionFallingBackToSse:
    def turn(self, target, conversation, effort=None, protocol="sse"):
        return FakeTurn("sse")


@dataclass
class FakeTarget:
    info: ModelInfo
    ref: str = "loopback/lorem"


EVERYWHERE = FakeTarget(ModelInfo("lorem", protocols=("sse", "websocket", "webrtc")))


def test_protocol_support_is_read_from_the_turn_signature():
    assert not turn_accepts_protocol(SessionBefore)
    assert turn_accepts_protocol(SessionAfter)


def test_websocket_is_unavailable_until_turn_takes_a_protocol():
    websocket = runner_for("websocket")
    assert "protocol" in websocket.unavailable_reason(SessionBefore(), EVERYWHERE)
    assert websocket.unavailable_reason(SessionAfter(), EVERYWHERE) is None
    assert runner_for("sse").unavailable_reason(SessionBefore(), EVERYWHERE) is None


def test_a_protocol_the_model_does_not_offer_is_unavailable_by_catalog():
    sse_only = FakeTarget(ModelInfo("refusal"))
    assert "catalog" in runner_for("webrtc").unavailable_reason(SessionAfter(), sse_only)


def test_turns_are_opened_with_the_protocol_once_supported():
    assert runner_for("websocket").open_turn(SessionAfter(), EVERYWHERE, None).protocol == "websocket"
    assert runner_for("sse").open_turn(SessionAfter(), EVERYWHERE, None).__class__ is FakeTurn
    assert runner_for("sse").open_turn(SessionBefore(), EVERYWHERE, None) == ("sse-only", None)


def test_a_session_that_silently_falls_back_to_sse_does_not_pass_for_webrtc():
    with pytest.raises(NotImplementedError, match="sse turn"):
        runner_for("webrtc").open_turn(SessionFallingBackToSse(), EVERYWHERE, None)


def test_not_implemented_errors_are_recognised():
    assert looks_unimplemented("rtchat hit an unexpected error: NotImplementedError: webrtc")
    assert not looks_unimplemented("the key for openai was rejected (401)", "auth")


def test_protocol_order_rotates_by_run_and_turns_are_counted():
    plan = Plan(("sse", "websocket", "webrtc"), runs=4)
    assert plan.order(0) == ["sse", "websocket", "webrtc"]
    assert plan.order(1) == ["websocket", "webrtc", "sse"]
    assert plan.turns() == 3 * (1 + 8 + 1 + 8)
    assert Plan(("sse",), runs=2, cache_pass=False).turns() == 5


def test_the_cache_pass_uses_echo_instead_of_the_endless_lorem():
    assert cache_model_for("loopback/lorem@rate=1000") == "loopback/echo@rate=1000"
    assert cache_model_for("openai/gpt-5-mini") == "openai/gpt-5-mini"

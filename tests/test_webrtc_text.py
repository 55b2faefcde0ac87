"""Text turns over WebRTC against the loopback peer: one call per conversation,
the Realtime events on the `oai-events` data channel, the same turn interface
as SSE and WebSocket."""

from __future__ import annotations

import json
import subprocess

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Metrics
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.turns import done_of, errors_of, text_of
from tests.support.webrtc import ask, calls, make_session


async def test_an_edited_conversation_places_a_new_call_with_the_context_rebuilt(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        conversation = Conversation()
        await ask(session, target, conversation, "one")
        conversation.messages[-1] = ChatMessage("assistant", "an edited answer")
        events, turn = await ask(session, target, conversation, "two")
    finally:
        await session.aclose()
    assert done_of(events) == "complete" and turn.clock.connect_ms > 0
    assert "(turn 2)" in text_of(events), "the new call was given the earlier turn as items"
    assert len(calls(loopback)) == 2


async def test_a_model_without_webrtc_gets_a_clear_error_not_sse(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/refusal", loopback.url + "/v1")
        events, turn = await ask(session, target, Conversation(), "hi")
    finally:
        await session.aclose()
    [error] = errors_of(events)
    assert turn.protocol == "webrtc" and "offers no WebRTC API" in error.message and "--protocol sse" in error.message
    assert done_of(events) == "error" and isinstance(events[-2], Metrics)
    assert loopback.records == [] and loopback.connections == [], "nothing was sent over another protocol"


async def test_an_unknown_protocol_is_refused_not_sent_over_sse(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        events, turn = await ask(session, target, Conversation(), "hi", protocol="carrier-pigeon")
    finally:
        await session.aclose()
    [error] = errors_of(events)
    assert "unknown protocol 'carrier-pigeon'" in error.message and turn.protocol == "carrier-pigeon"
    assert done_of(events) == "error" and loopback.records == []


def test_the_bench_measures_webrtc_with_ice_and_dtls_as_set_up(tmp_path):
    command = rtchat_cmd("bench", "--protocols", "webrtc", "--runs", "1", "--no-cache-pass", "--json")
    result = subprocess.run(command, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    webrtc = data["protocols"]["webrtc"]
    assert webrtc["available"], webrtc
    measured = [s for s in data["samples"] if s["kind"] == "measured" and s["protocol"] == "webrtc"]
    assert measured and measured[0]["connect_ms"] > 0

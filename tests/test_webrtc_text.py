"""Text turns over WebRTC against the loopback peer: one call per conversation,
the Realtime events on the `oai-events` data channel, the same turn interface
as SSE and WebSocket."""

from __future__ import annotations

import json
import subprocess

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import AudioChunk, Done, Metrics, TextDelta, Transcript
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.turns import done_of, errors_of, text_of
from tests.support.wait import until
from tests.support.webrtc import ask, calls, make_session


async def test_several_turns_share_one_call_and_later_turns_skip_ice_and_dtls(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        conversation = Conversation()
        turns = [await ask(session, target, conversation, prompt) for prompt in ("first", "second", "third")]
    finally:
        await session.aclose()
    [call] = calls(loopback)
    assert call.responses == 3 and len(loopback.connections) == 1
    first, second, third = (turn for _, turn in turns)
    assert {t.protocol for t in (first, second, third)} == {"webrtc"}
    assert first.clock.connect_ms > 0 and second.clock.connect_ms == 0 and third.clock.connect_ms == 0
    assert "(turn 3)" in text_of(turns[2][0]) and "third" in text_of(turns[2][0])  # context kept on the server
    for events, _ in turns:
        assert done_of(events) == "complete" and isinstance(events[-2], Metrics)
        assert not any(isinstance(e, (AudioChunk, Transcript)) for e in events), "text mode: no audio"
    assert loopback.records[-1].request_json["type"] == "response.create"
    await until(lambda: call.closed is not None, 3, "aclose() hung up")  # the far end learns of it a moment later


async def test_cancel_goes_over_the_data_channel_and_the_next_turn_reuses_the_call(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo@rate=40", loopback.url + "/v1")
        conversation = Conversation()
        events, turn = await ask(session, target, conversation, "write", cancel_after=3)
        assert done_of(events) == "interrupted" and turn.cancel_requested_at is not None
        partial = text_of(events)
        assert partial and conversation.messages[-1].text == partial  # the partial answer is kept
        record = loopback.records[-1]
        assert record.cancel_received is not None and record.outcome == "cancelled"
        events, turn = await ask(session, target, conversation, "again")
        assert done_of(events) == "complete" and turn.clock.connect_ms == 0
        assert "(turn 2)" in text_of(events)
    finally:
        await session.aclose()
    assert len(calls(loopback)) == 1 and calls(loopback)[0].responses == 2


async def test_after_cancel_no_more_text_reaches_the_user(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/lorem@rate=2000", loopback.url + "/v1")
        conversation = Conversation()
        conversation.add_user("write")
        turn = session.turn(target, conversation, protocol="webrtc")
        before, after = [], []
        async for event in turn.events():
            (after if turn.cancel_requested_at is not None else before).append(event)
            if isinstance(event, TextDelta):
                turn.cancel()
    finally:
        await session.aclose()
    assert [e.type for e in after if e.type in ("text", "thinking")] == []
    assert after[-1] == Done("interrupted") and errors_of(after) == []


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


def test_ask_over_webrtc_streams_like_sse(tmp_path):
    result = subprocess.run(rtchat_cmd("ask", "--protocol", "webrtc", "-m", "loopback/echo", "hi over webrtc"), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "hi over webrtc" in result.stdout and "(turn 1)" in result.stdout and "Traceback" not in result.stderr


def test_the_bench_measures_webrtc_with_ice_and_dtls_as_set_up(tmp_path):
    command = rtchat_cmd("bench", "--protocols", "webrtc", "--runs", "1", "--no-cache-pass", "--json")
    result = subprocess.run(command, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    webrtc = data["protocols"]["webrtc"]
    assert webrtc["available"], webrtc
    measured = [s for s in data["samples"] if s["kind"] == "measured" and s["protocol"] == "webrtc"]
    assert measured and measured[0]["connect_ms"] > 0

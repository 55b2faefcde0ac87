"""Realtime text turns against the loopback, held to the same promises over a WebSocket and over
WebRTC (the `transport` fixture runs each test once per transport): one socket or call per
conversation, cancel over it, what a drop, a stall, a refusal and a restarted server look like,
and `rtchat ask` over it. What only one transport has stays in test_ws_* / test_webrtc_*."""

from __future__ import annotations

from rtchat.conversation import Conversation
from rtchat.events import AudioChunk, Done, Metrics, Transcript
from rtchat.loopback import start_loopback
from rtchat.loopback.scripts import Conversation as ScriptConversation
from rtchat.loopback.scripts import Message, echo_text, tokenize
from tests.support.env import run_rtchat
from tests.support.interrupt import interrupt_ask
from tests.support.turns import cancel_at_first_text, done_of, errors_of, text_of
from tests.support.wait import until


async def test_several_turns_share_one_connection_and_later_turns_skip_the_setup(isolated, loopback, transport):
    session = transport.make_session()
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        conversation = Conversation()
        turns = [await transport.ask(session, target, conversation, prompt) for prompt in ("first", "second", "third")]
    finally:
        await session.aclose()
    [place] = transport.places(loopback)
    assert place.responses == 3 and len(loopback.connections) == 1
    first, second, third = (turn for _, turn in turns)
    assert {t.protocol for t in (first, second, third)} == {transport.protocol}
    assert first.clock.connect_ms > 0 and second.clock.connect_ms == 0 and third.clock.connect_ms == 0
    assert "(turn 3)" in text_of(turns[2][0]) and "third" in text_of(turns[2][0])  # context kept on the server
    for events, _ in turns:
        assert done_of(events) == "complete" and isinstance(events[-2], Metrics)
        assert not any(isinstance(e, (AudioChunk, Transcript)) for e in events), "text mode: no audio"
    assert loopback.records[-1].request_json["type"] == "response.create"
    if transport.hangs_up_at_once:
        assert place.closed is not None  # aclose() closed it
    else:
        await until(lambda: place.closed is not None, what="aclose() hung up")  # the far end learns of it a moment later


def echo_tokens(prompt: str) -> list[str]:
    """The tokens of the echo model's whole answer to a first message `prompt`."""
    return tokenize(echo_text(ScriptConversation(messages=(Message("user", prompt),))))


async def test_cancel_goes_over_the_connection_and_the_next_turn_reuses_it(isolated, loopback, transport):
    session = transport.make_session()
    try:
        target = await session.resolve("loopback/echo@rate=40", loopback.url + "/v1")
        conversation = Conversation()
        events, turn = await transport.ask(session, target, conversation, "write", cancel_after=3)
        assert done_of(events) == "interrupted" and turn.cancel_requested_at is not None
        partial = text_of(events)
        assert partial and conversation.messages[-1].text == partial  # the partial answer is kept
        record = loopback.records[-1]
        assert record.cancel_received is not None and record.outcome == "cancelled"
        assert record.ended >= record.cancel_received and record.tokens_sent < len(echo_tokens("write"))
        events, turn = await transport.ask(session, target, conversation, "again")
        assert done_of(events) == "complete" and turn.clock.connect_ms == 0
        assert "(turn 2)" in text_of(events)
    finally:
        await session.aclose()
    [place] = transport.places(loopback)
    assert len(loopback.connections) == 1 and place.responses == 2


async def test_after_cancel_no_more_text_reaches_the_user(isolated, loopback, transport):
    """Ctrl-C stops the answer at once: tokens the server flushed before it saw the cancel are dropped."""
    session = transport.make_session()
    try:
        target = await session.resolve("loopback/lorem@rate=2000", loopback.url + "/v1")
        _, after = await cancel_at_first_text(session, target, Conversation(), transport.protocol)
    finally:
        await session.aclose()
    assert [e.type for e in after if e.type in ("text", "thinking")] == []
    assert after[-1] == Done("interrupted") and errors_of(after) == []


async def test_a_server_drop_mid_reply_keeps_the_partial_and_the_next_turn_reconnects_with_context(isolated, loopback, transport):
    session = transport.make_session()
    try:
        target = await session.resolve("loopback/fault-close-midreply", loopback.url + "/v1")
        conversation = Conversation()
        events, first = await transport.ask(session, target, conversation, "one")
        assert done_of(events) == "error"
        [error] = errors_of(events)
        assert transport.dropped in error.message and "partial answer is kept" in error.message
        assert text_of(events).startswith("**Echo** (turn 1)")
        assert first.connection.state == "closed"
        events, second = await transport.ask(session, target, conversation, "two")
        assert second.clock.connect_ms > 0, "a new connection was set up"
        assert "(turn 2)" in text_of(events), "earlier messages were sent again as items"
    finally:
        await session.aclose()
    assert len(transport.places(loopback)) == 2


async def test_a_refusal_with_401_names_the_key_and_never_shows_it(isolated, loopback, transport):
    session = transport.make_session()
    try:
        target = await session.resolve("loopback/fault-401", loopback.url + "/v1")
        target.key = "sk-loopback-secret-123456"
        events, _ = await transport.ask(session, target, Conversation(), "hi")
    finally:
        await session.aclose()
    [error] = errors_of(events)
    assert error.kind == "auth" and "401" in error.message and "rtchat keys set loopback" in error.message
    assert "sk-loopback-secret" not in repr(events)
    assert done_of(events) == "error" and transport.places(loopback) == []


async def test_a_stall_mid_reply_is_a_timeout_and_the_next_turn_still_answers(isolated, loopback, transport):
    session = transport.make_session(stall_timeout=0.5)
    try:
        target = await session.resolve("loopback/fault-stall", loopback.url + "/v1")
        conversation = Conversation()
        events, _ = await transport.ask(session, target, conversation, "hi")
        [error] = errors_of(events)
        assert error.kind == "timeout" and "stall timeout" in error.message and "mid-answer" in error.message
        assert done_of(events) == "error" and text_of(events), "the partial answer is kept"
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        events, _ = await transport.ask(session, target, conversation, "still there?")
        assert done_of(events) == "complete" and "(turn 2)" in text_of(events)
    finally:
        await session.aclose()


async def test_server_restart_mid_session_reconnects_and_rebuilds_context(isolated, transport):
    server = await start_loopback()
    port = server.port
    session = transport.make_session()
    conversation = Conversation()
    try:
        target = await session.resolve("loopback/echo", server.url + "/v1")
        await transport.ask(session, target, conversation, "remember the word pelican")
        await server.close()
        server = await start_loopback(port=port)
        events, turn = await transport.ask(session, target, conversation, "what was the word?")
    finally:
        await session.aclose()
        await server.close()
    assert errors_of(events) == [] and done_of(events) == "complete"
    assert turn.clock.connect_ms > 0, "a new connection was set up"
    assert "(turn 2)" in text_of(events), "the restarted server was given the earlier turns again"
    assert len(transport.places(server)) == 1


def test_ask_over_the_transport_streams_like_sse(tmp_path, transport):
    prompt = f"hi over {transport.protocol}"
    result = run_rtchat(tmp_path, "ask", "--protocol", transport.protocol, "-m", "loopback/echo", prompt)
    assert result.returncode == 0, result.stderr
    assert prompt in result.stdout and "(turn 1)" in result.stdout and "Traceback" not in result.stderr


def test_ctrl_c_in_ask_cancels_over_the_connection_and_exits_130(tmp_path, transport):
    code, events, err = interrupt_ask(tmp_path, "--protocol", transport.protocol, "-m", "loopback/lorem@rate=100", "write")
    assert code == 130, err
    assert events[-1] == {"type": "done", "reason": "interrupted"} and events[-2]["type"] == "metrics"
    assert sum(1 for e in events if e["type"] == "text") >= 3
    assert not any(e["type"] == "error" for e in events) and "Traceback" not in err

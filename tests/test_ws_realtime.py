"""OpenAI Realtime over a real WebSocket against the loopback: one socket per conversation."""

from __future__ import annotations

import asyncio
import subprocess

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Metrics, TextDelta
from rtchat.loopback.scripts import Conversation as ScriptConversation
from rtchat.loopback.scripts import Message, echo_text, tokenize
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.interrupt import interrupt_ask
from tests.support.turns import done_of, errors_of, text_of
from tests.support.wait import until
from tests.support.ws import ask, make_session


async def test_several_turns_share_one_socket_and_later_turns_skip_the_handshake(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        conversation = Conversation()
        turns = [await ask(session, target, conversation, prompt) for prompt in ("first", "second", "third")]
    finally:
        await session.aclose()
    assert len(loopback.connections) == 1 and loopback.connections[0].responses == 3
    first, second, third = (turn for _, turn in turns)
    assert first.clock.connect_ms > 0
    assert second.clock.connect_ms == 0 and third.clock.connect_ms == 0
    assert "(turn 3)" in text_of(turns[2][0]) and "third" in text_of(turns[2][0])  # context kept on the server
    for events, _ in turns:
        assert done_of(events) == "complete" and isinstance(events[-2], Metrics)
    assert loopback.connections[0].closed is not None  # aclose() closed it


async def test_cancel_goes_over_the_socket_and_the_next_turn_reuses_it(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo@rate=40", loopback.url + "/v1")
        conversation = Conversation()
        events, turn = await ask(session, target, conversation, "write", cancel_after=3)
        assert done_of(events) == "interrupted"
        assert turn.cancel_requested_at is not None
        partial = text_of(events)
        assert partial and conversation.messages[-1].text == partial  # the partial answer is kept
        record = loopback.records[-1]
        assert record.cancel_received is not None and record.outcome == "cancelled"
        assert record.ended >= record.cancel_received and record.tokens_sent < len(record_text_tokens())
        events, turn = await ask(session, target, conversation, "again")
        assert done_of(events) == "complete"
        assert turn.clock.connect_ms == 0
    finally:
        await session.aclose()
    assert len(loopback.connections) == 1 and loopback.connections[0].responses == 2


async def test_typing_while_it_streams_interrupts_and_sends_the_new_message_on_the_same_socket(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/echo@rate=40", loopback.url + "/v1")
        conversation = Conversation()
        conversation.add_user("long answer please")
        first = session.turn(target, conversation, protocol="websocket")
        first_events = []
        started = asyncio.Event()

        async def consume():
            async for event in first.events():
                first_events.append(event)
                if isinstance(event, TextDelta):
                    started.set()

        reader = asyncio.create_task(consume())
        await started.wait()
        conversation.add_user("never mind, short one")  # the caller has not appended the partial answer
        conversation.messages.pop()  # (ask() adds the prompt itself)
        events, second = await ask(session, target, conversation, "never mind, short one")
        await reader
    finally:
        await session.aclose()
    assert done_of(first_events) == "interrupted"
    assert done_of(events) == "complete" and second.clock.connect_ms == 0
    assert len(loopback.connections) == 1
    first_record, second_record = loopback.records[-2:]
    assert first_record.cancel_received is not None and first_record.outcome == "cancelled"
    assert second_record.outcome == "complete"


async def test_a_server_drop_mid_reply_is_a_clear_error_and_the_next_turn_reconnects_with_context(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/fault-close-midreply", loopback.url + "/v1")
        conversation = Conversation()
        events, first = await ask(session, target, conversation, "one")
        assert done_of(events) == "error"
        [error] = errors_of(events)
        assert "1011" in error.message and "partial answer is kept" in error.message
        assert text_of(events).startswith("**Echo** (turn 1)")
        assert first.connection.state == "closed"
        events, second = await ask(session, target, conversation, "two")
        assert second.clock.connect_ms > 0  # a new handshake
        assert "(turn 2)" in text_of(events)  # earlier messages were sent again as items
    finally:
        await session.aclose()
    assert len(loopback.connections) == 2


async def test_an_error_frame_is_one_clear_message_and_the_socket_stays_usable(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/fault-error-frame", loopback.url + "/v1")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "one")
        assert done_of(events) == "error"
        [error] = errors_of(events)
        # the error event comes first and is the one shown; the failed response.done after it adds none
        assert error.kind == "server" and error.message.startswith("the realtime server reported server_error: ")
        assert "(fault-error-frame)" in error.message
        events, turn = await ask(session, target, conversation, "two")
        assert done_of(events) == "error" and turn.clock.connect_ms == 0
    finally:
        await session.aclose()
    assert len(loopback.connections) == 1


async def test_a_refused_upgrade_names_the_problem_and_never_the_key(isolated, loopback):
    session = make_session()
    try:
        target = await session.resolve("loopback/fault-401", loopback.url + "/v1")
        target.key = "sk-loopback-secret-123456"
        events, _ = await ask(session, target, Conversation(), "hi")
    finally:
        await session.aclose()
    [error] = errors_of(events)
    assert error.kind == "auth" and "401" in error.message
    assert "sk-loopback-secret" not in repr(events)
    assert done_of(events) == "error" and loopback.connections == []


async def test_the_socket_state_is_observable(isolated, loopback):
    session = make_session()
    seen = []
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        conversation = Conversation()
        conversation.add_user("hi")
        turn = session.turn(target, conversation, protocol="websocket")
        turn.connection.add_listener(seen.append)
        assert session.live_pool().connection(target, conversation) is turn.connection
        [event async for event in turn.events()]
        assert turn.connection.state == "open"
    finally:
        await session.aclose()
    assert seen[:2] == ["connecting", "open"] and seen[-1] == "closed"


async def test_a_model_change_closes_the_old_socket(isolated, loopback):
    session = make_session()
    try:
        conversation = Conversation()
        echo = await session.resolve("loopback/echo", loopback.url + "/v1")
        await ask(session, echo, conversation, "one")
        lorem = await session.resolve("loopback/lorem@rate=0", loopback.url + "/v1")
        await ask(session, lorem, conversation, "two", cancel_after=3)
        await until(lambda: loopback.connections[0].closed is not None, what="the old socket closed")  # the server learns of it a moment later
    finally:
        await session.aclose()


def record_text_tokens() -> list[str]:
    return tokenize(echo_text(ScriptConversation(messages=(Message("user", "write"),))))


def test_ask_over_websocket_streams_like_sse(tmp_path):
    result = subprocess.run(rtchat_cmd("ask", "--protocol", "websocket", "-m", "loopback/echo", "hi over ws"), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "hi over ws" in result.stdout and "(turn 1)" in result.stdout and "Traceback" not in result.stderr


def test_ask_over_websocket_sigint_cancels_over_the_socket_and_exits_130(tmp_path):
    code, events, _ = interrupt_ask(tmp_path, "--protocol", "websocket", "-m", "loopback/lorem@rate=100", "write")
    assert code == 130
    assert events[-1] == {"type": "done", "reason": "interrupted"}
    assert events[-2]["type"] == "metrics"
    assert sum(1 for e in events if e["type"] == "text") >= 3


async def cancel_at_first_text(session, target, conversation) -> tuple[list, list]:
    """A fast (2,000 tok/s) answer cancelled at its first text: (events before, events after the cancel)."""
    conversation.add_user("write")
    turn = session.turn(target, conversation, protocol="websocket")
    before, after = [], []
    async for event in turn.events():
        (after if turn.cancel_requested_at is not None else before).append(event)
        if isinstance(event, TextDelta):
            turn.cancel()
    return before, after


async def test_after_cancel_no_more_text_reaches_the_user(isolated, loopback):
    """Ctrl-C stops the answer at once: tokens the server flushed before it saw the cancel are dropped."""
    session = make_session()
    try:
        target = await session.resolve("loopback/lorem@rate=2000", loopback.url + "/v1")
        _, after_cancel = await cancel_at_first_text(session, target, Conversation())
    finally:
        await session.aclose()
    assert [e.type for e in after_cancel if e.type in ("text", "thinking")] == []
    assert after_cancel[-1] == Done("interrupted")


async def test_after_a_fast_cancel_the_next_turn_still_reuses_the_socket(isolated, loopback):
    """The context the client tracks is the answer as the user saw it, so no rebuild is needed."""
    session = make_session()
    try:
        target = await session.resolve("loopback/lorem@rate=2000", loopback.url + "/v1")
        conversation = Conversation()
        before, _ = await cancel_at_first_text(session, target, conversation)
        conversation.messages.append(ChatMessage("assistant", text_of(before)))
        events, turn = await ask(session, target, conversation, "next", cancel_after=1)
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted" and turn.clock.connect_ms == 0
    assert len(loopback.connections) == 1


async def test_a_silent_server_is_a_stall_timeout_not_a_hang(isolated, loopback):
    session = make_session(stall_timeout=0.5)
    try:
        target = await session.resolve("loopback/fault-stall", loopback.url + "/v1")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "hi")
        errors = [e for e in events if e.type == "error"]
        assert errors and errors[0].kind == "timeout" and "stall timeout" in errors[0].message
        assert done_of(events) == "error" and text_of(events), "the partial answer is kept"
        conversation.messages.append(ChatMessage("assistant", text_of(events)))
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        events, _ = await ask(session, target, conversation, "still there?")
        assert done_of(events) == "complete"
    finally:
        await session.aclose()

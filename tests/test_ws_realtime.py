"""OpenAI Realtime over a real WebSocket against the loopback: one socket per conversation."""

from __future__ import annotations

import asyncio

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import TextDelta
from tests.support.turns import cancel_at_first_text, done_of, errors_of, text_of
from tests.support.wait import until
from tests.support.ws import ask, make_session


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


async def test_after_a_fast_cancel_the_next_turn_still_reuses_the_socket(isolated, loopback):
    """The context the client tracks is the answer as the user saw it, so no rebuild is needed."""
    session = make_session()
    try:
        target = await session.resolve("loopback/lorem@rate=2000", loopback.url + "/v1")
        conversation = Conversation()
        before, _ = await cancel_at_first_text(session, target, conversation, "websocket")
        conversation.messages.append(ChatMessage("assistant", text_of(before)))
        events, turn = await ask(session, target, conversation, "next", cancel_after=1)
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted" and turn.clock.connect_ms == 0
    assert len(loopback.connections) == 1




async def test_an_answer_the_screen_has_not_caught_up_with_is_the_context_the_server_holds(isolated, loopback):
    """The server holds all it sent, shown yet or not: read before the screen catches up, the
    answer the socket remembers is the whole of it, so the next turn reuses the socket."""
    session = make_session()
    try:
        target = await session.resolve("loopback/lorem@2000", loopback.url + "/v1")  # the whole document, fast: what matters is that most waits unshown
        conversation = Conversation()
        conversation.add_user("first")
        first = session.turn(target, conversation, protocol="websocket")
        stream = first.events()
        events = [await anext(stream)]  # the turn runs; the consumer then stops reading
        await first.finished.wait()  # every event has arrived and waits in the queue, unshown
        assert first.queued > 1  # most of the answer is not shown yet
        events += [event async for event in stream]
        conversation.messages.append(first.answer().message())
        events_after, second = await ask(session, target, conversation, "next")
    finally:
        await session.aclose()
    assert done_of(events) == "complete" and text_of(events)
    assert done_of(events_after) == "complete" and second.clock.connect_ms == 0
    assert len(loopback.connections) == 1

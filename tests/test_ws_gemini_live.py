"""Gemini Live over a real WebSocket against the loopback: setup, turns, interrupt, goAway resume."""

from __future__ import annotations

import json

import websockets

from rtchat.conversation import Conversation
from rtchat.loopback.audio_meter import resample, tone
from rtchat.wire import gemini_live as live
from tests.support.turns import done_of, errors_of, text_of
from tests.support.wait import until
from tests.support.ws import ask, make_session


async def test_turns_share_one_live_session(isolated, loopback):
    session = make_session(loopback)
    try:
        target = await session.resolve("gemini/echo")
        conversation = Conversation(system="be brief")
        turns = [await ask(session, target, conversation, prompt) for prompt in ("one", "two")]
    finally:
        await session.aclose()
    [connection] = loopback.connections
    assert connection.wire == "gemini_live" and connection.responses == 2
    assert connection.setup["model"] == "models/echo"
    assert connection.setup["systemInstruction"]["parts"][0]["text"] == "be brief"
    assert turns[1][1].clock.connect_ms == 0 and "(turn 2)" in text_of(turns[1][0])


async def test_interrupt_uses_activity_start_and_keeps_the_socket(isolated, loopback):
    session = make_session(loopback)
    try:
        target = await session.resolve("gemini/echo@rate=40")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "talk", cancel_after=3)
        assert done_of(events) == "interrupted" and text_of(events)
        assert loopback.records[-1].cancel_received is not None and loopback.records[-1].outcome == "cancelled"
        events, turn = await ask(session, target, conversation, "again")
    finally:
        await session.aclose()
    assert done_of(events) == "complete" and turn.clock.connect_ms == 0 and "(turn 2)" in text_of(events)
    assert len(loopback.connections) == 1


async def test_goaway_resumes_with_the_handle_and_keeps_context(isolated, loopback):
    session = make_session(loopback)
    try:
        target = await session.resolve("gemini/fault-goaway")
        conversation = Conversation()
        await ask(session, target, conversation, "one")
        # the server says goAway, closes, and rtchat resumes in the background
        await until(lambda: len(loopback.connections) == 2 and turn_state(session, target, conversation) == "open")
        events, turn = await ask(session, target, conversation, "two")
    finally:
        await session.aclose()
    first, second = loopback.connections
    assert first.close_code == 1001
    handle = second.setup["sessionResumption"]["handle"]
    assert handle.startswith("loopback-")
    assert done_of(events) == "complete" and "(turn 2)" in text_of(events) and not errors_of(events)
    assert turn.clock.connect_ms == 0  # the resumed socket was already open


def turn_state(session, target, conversation):
    connection = session.live_pool().connection(target, conversation)
    return connection.state if connection else None


async def test_a_drop_mid_reply_reconnects_and_rebuilds_context(isolated, loopback):
    session = make_session(loopback)
    try:
        target = await session.resolve("gemini/fault-close-midreply")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "one")
        [error] = errors_of(events)
        assert "1011" in error.message and done_of(events) == "error"
        events, turn = await ask(session, target, conversation, "two")
    finally:
        await session.aclose()
    assert turn.clock.connect_ms > 0 and "(turn 2)" in text_of(events)


async def test_close_codes_become_clear_messages(isolated, loopback):
    session = make_session(loopback)
    try:
        events, _ = await ask(session, await session.resolve("gemini/no-such-model"), Conversation(), "hi")
        [unknown] = errors_of(events)
        events, _ = await ask(session, await session.resolve("gemini/fault-401"), Conversation(), "hi")
        [auth] = errors_of(events)
    finally:
        await session.aclose()
    assert "1008" in unknown.message and "not found" in unknown.message
    assert auth.kind == "auth" and "1008" in auth.message and "API key not valid" in auth.message


async def test_spoken_input_is_measured_and_echoed(loopback):
    url = loopback.url.replace("http://", "ws://") + live.PATH
    speech = bytes(3200) + tone(0.8, 16000) + bytes(3200)
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps(live.setup("echo", ["AUDIO"], manual_activity=True)))
        assert "setupComplete" in json.loads(await socket.recv())
        await socket.send(json.dumps(live.activity_start()))
        await socket.send(json.dumps(live.realtime_audio(speech)))
        await socket.send(json.dumps(live.activity_end()))
        decoder, said, heard, audio = live.LiveDecoder(), "", "", b""
        while True:
            for event in decoder.feed_text(await socket.recv()):
                if event.type == "transcript":
                    said, heard = (said + event.text, heard) if event.role == "assistant" else (said, heard + event.text)
                if event.type == "audio":
                    audio += event.pcm
                if event.type == "done":
                    break
            else:
                continue
            break
    assert heard == "[0.8 s of audio]"
    assert said == "heard 0.8 s of audio (level -15 dBFS)"
    assert audio == resample(speech, 16000, 24000)  # echo speaks the user's own audio back, at Live's 24 kHz

"""Bounds on a turn, against real peers: the answer cap on an endless stream, warning floods,
socket deadlines (progress is a decoded event) and routing of replies to the right turn."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from dataclasses import replace

from rtchat.catalog import provider_from_config
from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.turns.queue import QUEUE_LIMIT
from tests.support.measure import ask_measured
from tests.support.turns import done_of, errors_of, run_turn, text_of
from tests.support.wait import until
from tests.support.ws import ask, make_session
from tests.support.ws_peers import socket_peer

CAP = 200_000
CAPPED = f"[network]\nmax_answer_chars = {CAP}\n"
RSS_TARGET_MB = 300
WORDS = "one two three four five six seven eight nine ten eleven twelve"


def test_ask_stops_an_endless_stream_at_the_answer_cap_with_one_line(tmp_path):
    run = ask_measured(tmp_path, "-m", "loopback/endless", "go on forever", config=CAPPED)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "reached rtchat's cap of 200,000 characters" in run.stderr  # the one clear line
    assert run.stdout.startswith("# Lorem Ipsum") and len(run.stdout.rstrip("\n")) == CAP  # the partial, to the character
    assert run.peak_rss_mb < RSS_TARGET_MB, run.peak_rss_mb


async def test_the_cap_on_a_socket_stops_the_server_too(tmp_path, loopback):
    run = await asyncio.to_thread(
        ask_measured, tmp_path, "--protocol", "websocket", "-m", "deepseek/endless", "--base-url", loopback.url, "go", config=CAPPED, DEEPSEEK_API_KEY="sk-test",
    )
    assert "reached rtchat's cap of 200,000 characters" in run.stderr, run.stderr
    assert len(run.stdout.rstrip("\n")) == CAP and run.peak_rss_mb < RSS_TARGET_MB
    await until(lambda: loopback.records and loopback.records[-1].outcome == "disconnected", what="the loopback stopped sending")


async def test_a_consumer_that_falls_behind_holds_the_stream_reader_back(isolated, loopback):
    session = make_session()
    conversation = Conversation()
    conversation.add_user("go")
    turn = session.turn(await session.resolve("loopback/endless", loopback.url + "/v1"), conversation, protocol="sse")
    events = turn.events()
    try:
        await anext(events)  # then read nothing: the screen is behind
        await until(lambda: turn.held_back, what="the stream reader waits for the screen")
        await until(lambda: loopback.records[-1].tokens_sent > 8 * QUEUE_LIMIT, what="the server sent far more than the queue holds")
        assert turn.queued <= QUEUE_LIMIT  # the rest waits in the socket, not in memory
        assert turn.received_chars < QUEUE_LIMIT * 50  # a few KB taken in, however much the server sent
        turn.cancel()
        rest = [event async for event in events]
        assert rest[-1].reason == "interrupted"
    finally:
        await session.aclose()


def test_a_flood_of_malformed_frames_is_a_few_lines_and_a_count(tmp_path):
    run = ask_measured(tmp_path, "-m", "loopback/fault-flood", WORDS)
    assert run.returncode == 0, run.stderr
    assert WORDS in run.stdout  # the answer goes on around the junk
    lines = run.stderr.splitlines()
    assert len(lines) < 10, lines[:20]
    assert any("skipped 19,997 more like this (skipped a malformed frame)" in line for line in lines), lines


async def test_a_flood_of_unknown_socket_frames_is_a_few_lines_and_a_count(tmp_path, loopback):
    run = await asyncio.to_thread(
        ask_measured, tmp_path, "--protocol", "websocket", "-m", "deepseek/fault-flood", "--base-url", loopback.url, WORDS, DEEPSEEK_API_KEY="sk-test",
    )
    assert run.returncode == 0 and WORDS in run.stdout, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) < 10 and any("skipped 19,997 more like this" in line for line in lines), lines[:20]


# ---------------------------------------------------------------- socket deadlines


def deepseek_at(session, url: str, **fields) -> None:
    """A `peer` provider speaking the DeepSeek socket at `url` (no key unless `fields` name one)."""
    config = {"base_url": url, "needs_key": False, "chat_socket": True, "models": ["m"], **fields}
    session.config.catalog.providers["peer"] = replace(provider_from_config("peer", config, None))


async def run_against(handler, **network):
    """One DeepSeek-socket turn against `handler`; (events, peer). A turn that never ends fails after 30 s instead of hanging."""
    async with socket_peer(handler) as peer:
        session = make_session(**network)
        deepseek_at(session, peer.url)
        try:
            events, _ = await asyncio.wait_for(ask(session, await session.resolve("peer/m"), Conversation(), "hi"), 30)
        finally:
            await session.aclose()
    return events, peer


async def pings_forever(socket, *, tokens: int = 0, then_tokens: bool = False):
    await socket.receive()  # the chat frame
    for _ in range(tokens):
        await socket.send_json({"type": "token", "content": "partial "})
    while True:
        await asyncio.sleep(0.05)
        await socket.send_json({"type": "token", "content": "more "} if then_tokens else {"type": "ping"})


async def test_socket_pings_do_not_keep_a_stalled_answer_alive():
    events, _ = await run_against(lambda s: pings_forever(s, tokens=1), stall_timeout=0.5)
    assert done_of(events) == "error" and text_of(events) == "partial "
    (error,) = errors_of(events)
    assert "stall timeout" in error.message and "partial answer is kept" in error.message


async def test_socket_first_token_deadline():
    events, _ = await run_against(pings_forever, stall_timeout=60, first_token_timeout=0.5)
    (error,) = errors_of(events)
    assert done_of(events) == "error" and "first-token deadline" in error.message


async def test_socket_total_deadline():
    events, _ = await run_against(lambda s: pings_forever(s, tokens=1, then_tokens=True), stall_timeout=60, total_timeout=0.5)
    (error,) = errors_of(events)
    assert done_of(events) == "error" and "total deadline" in error.message and text_of(events).startswith("partial more")


# ---------------------------------------------------------------- routing


async def test_a_second_deepseek_done_never_ends_the_next_turn():
    async def answers_with_two_dones(socket):
        turn = 0
        while await socket.receive_json():
            turn += 1
            await socket.send_json({"type": "token", "content": f"answer {turn}"})
            await socket.send_json({"type": "done"})
            if turn == 1:
                await socket.send_json({"type": "done"})  # the stray second end

    async with socket_peer(answers_with_two_dones) as peer:
        session = make_session()
        deepseek_at(session, peer.url)
        target = await session.resolve("peer/m")
        conversation = Conversation()
        try:
            first, turn = await ask(session, target, conversation, "one")
            await until(lambda: turn.connection.unheard, what="the stray done arrived")
            second, _ = await ask(session, target, conversation, "two")
        finally:
            await session.aclose()
    assert text_of(first) == "answer 1" and done_of(first) == "complete"
    assert text_of(second) == "answer 2" and done_of(second) == "complete"
    assert any(isinstance(e, Notice) and "`done` frame with no answer open" in e.text for e in second)


def realtime_peer(script):
    """A Realtime server (GA dialect) that answers each `response.create` with `script()`'s events."""

    async def handler(socket):
        await socket.send_json({"type": "session.created", "session": {"type": "realtime", "id": "sess_1"}})
        async for message in socket:
            if json.loads(message.data).get("type") == "response.create":
                for event in script():
                    await socket.send_json(event)

    return handler


def created(rid):
    return {"type": "response.created", "response": {"id": rid, "status": "in_progress"}}


def delta(rid, text):
    return {"type": "response.output_text.delta", "response_id": rid, "delta": text}


def finished(rid):
    return {"type": "response.done", "response": {"id": rid, "status": "completed"}}


async def realtime_turn(script):
    async with socket_peer(realtime_peer(script)) as peer:
        session = make_session()
        try:
            target = await session.resolve("loopback/echo", peer.url + "/v1")
            events, _ = await asyncio.wait_for(ask(session, target, Conversation(), "hi"), 30)
        finally:
            await session.aclose()
    return events


async def test_two_interleaved_realtime_responses_are_not_merged():
    events = await realtime_turn(lambda: [created("A"), created("B"), delta("A", "A0 "), delta("B", "B0 "), delta("A", "A1"), delta("B", "B1"), finished("B"), finished("A")])
    assert text_of(events) == "A0 A1" and done_of(events) == "complete"
    assert any(isinstance(e, Notice) and "began response B while A" in e.text for e in events)


async def test_a_realtime_done_before_its_response_began_does_not_end_the_turn():
    events = await realtime_turn(lambda: [finished("A"), created("A"), delta("A", "the answer"), finished("A")])
    assert text_of(events) == "the answer" and done_of(events) == "complete"
    assert any(isinstance(e, Notice) and "ended response A before it began it" in e.text for e in events)


async def test_the_cap_closes_a_deepseek_socket_while_the_session_lives_on(isolated, loopback, monkeypatch):
    monkeypatch.setenv("PEER_TEST_KEY", "sk-peer")  # the loopback's socket wants a key
    session = make_session(max_answer_chars=5000)
    deepseek_at(session, loopback.url, key_env="PEER_TEST_KEY", needs_key=True)
    try:
        events, turn = await asyncio.wait_for(ask(session, await session.resolve("peer/endless"), Conversation(), "go"), 30)
        assert done_of(events) == "length" and len(text_of(events)) == 5000
        assert any(isinstance(e, Notice) and "cap of 5,000 characters" in e.text for e in events)
        await until(lambda: not turn.connection.is_open, what="rtchat closed the socket (the protocol has no cancel message)")
        # a server busy streaming reads no close frame: it learns when websockets' close timeout (10 s) drops TCP
        await until(lambda: loopback.connections[0].closed is not None, within=30, what="the loopback saw the hang-up")
        again, _ = await ask(session, await session.resolve("peer/echo"), Conversation(), "after")
        assert done_of(again) == "complete" and "after" in text_of(again)
    finally:
        await session.aclose()


async def test_the_cap_cancels_a_realtime_response_and_the_next_turn_is_clean():
    received: list[str] = []
    responses = 0  # over every socket: rtchat may give up on the old one and open another

    async def endless_until_cancelled(socket):
        nonlocal responses
        await socket.send_json({"type": "session.created", "session": {"type": "realtime", "id": "sess_1"}})
        streaming: asyncio.Task | None = None

        async def stream(rid):
            while True:
                await socket.send_json(delta(rid, "lorem ipsum "))
                await asyncio.sleep(0)

        async for message in socket:
            kind = json.loads(message.data).get("type")
            received.append(kind)
            if kind == "response.create":
                responses += 1
                rid = f"r{responses}"
                await socket.send_json(created(rid))
                if responses == 1:
                    streaming = asyncio.create_task(stream(rid))
                else:
                    await socket.send_json(delta(rid, "second answer"))
                    await socket.send_json(finished(rid))
            elif kind == "response.cancel" and streaming is not None:
                streaming.cancel()
                await socket.send_json(delta("r1", "sent before the cancel was seen "))
                await socket.send_json({"type": "response.done", "response": {"id": "r1", "status": "cancelled"}})

    async with socket_peer(endless_until_cancelled) as peer:
        session = make_session(max_answer_chars=5000)
        try:
            target = await session.resolve("loopback/echo", peer.url + "/v1")
            conversation = Conversation()
            first, _ = await asyncio.wait_for(ask(session, target, conversation, "go"), 30)
            second, _ = await asyncio.wait_for(ask(session, target, conversation, "again"), 30)
        finally:
            await session.aclose()
    assert done_of(first) == "length" and len(text_of(first)) == 5000
    assert "response.cancel" in received, received  # the server was told to stop
    assert text_of(second) == "second answer" and done_of(second) == "complete"  # nothing of the cancelled answer leaked in


async def test_a_capped_turn_is_freed_once_its_reader_lets_go(isolated, loopback):
    session = make_session(max_answer_chars=100_000)
    try:
        events, turn = await run_turn(session, await session.resolve("loopback/endless", loopback.url + "/v1"), Conversation(), "go", protocol="sse", keep=False)
        assert done_of(events) == "length" and len(text_of(events)) == 100_000
        freed = weakref.ref(turn)
        del events, turn
        gc.collect()
        assert freed() is None  # nothing (a task, a queue, a callback) still holds the answer
    finally:
        await session.aclose()


async def test_a_peer_that_never_answers_our_close_holds_the_socket_at_most_the_close_timeout():
    # A deadline ends the turn and closes its socket; a peer that keeps sending and never answers
    # the close frame held the turn's end for websockets' default 10 s. The socket rtchat opens
    # gives such a peer CLOSE_TIMEOUT, asserted on the real connection object.
    from rtchat.transports.websocket import CLOSE_TIMEOUT, SocketAddress, open_socket

    async with socket_peer(pings_forever) as peer:
        socket, _ = await open_socket(SocketAddress(peer.url.replace("http", "ws", 1)), 5.0, local=True)
        try:
            assert socket.close_timeout == CLOSE_TIMEOUT < 10
        finally:
            await socket.close()

"""A session or server left running for a long time holds bounded state."""

from __future__ import annotations

from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.events import Done
from rtchat.live.pool import MAX_OPEN
from rtchat.loopback.exchange import RECORDS_KEPT, RecentLog
from rtchat.session import Session


async def test_switching_among_many_conversations_keeps_few_sockets_open(monkeypatch, tmp_path, loopback):
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path))
    session = Session(load_config())
    conversations = []
    try:
        target = await session.resolve("loopback/echo@rate=0", loopback.url + "/v1")
        for index in range(MAX_OPEN + 3):
            conversation = Conversation()
            conversation.add_user(f"conversation {index}")
            events = [e async for e in session.turn(target, conversation, protocol="websocket").events()]
            assert events[-1] == Done("complete")
            conversations.append(conversation)
        pool = session.live_pool()
        open_now = [c for c in conversations if pool.connection(target, c) is not None]
        assert open_now == conversations[-MAX_OPEN:], "the most recently used stay, the oldest are closed"
        # going back to a closed conversation reopens it
        conversations[0].messages.append(type(conversations[0].messages[0])("assistant", "ok"))
        conversations[0].add_user("back again")
        events = [e async for e in session.turn(target, conversations[0], protocol="websocket").events()]
        assert events[-1] == Done("complete") and events[-2].connect_ms > 0
    finally:
        await session.aclose()
    closed = [c for c in loopback.connections if c.closed is not None]
    assert len(closed) == len(loopback.connections)


def test_the_servers_logs_keep_only_the_newest_entries():
    log = RecentLog(3)
    for index in range(10):
        log.append(index)
    assert log == [7, 8, 9]


async def test_a_running_servers_request_and_connection_logs_are_bounded(loopback):
    for log in (loopback.records, loopback.connections):
        assert isinstance(log, RecentLog) and log.limit == RECORDS_KEPT

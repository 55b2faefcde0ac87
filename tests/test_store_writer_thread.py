"""The streaming writer never waits for SQLite on the event loop: while another
connection holds the file's write lock, `apply` keeps returning and the loop keeps
running; once the lock goes, everything is written."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from tests.support.answers import Feed
from rtchat.events import Done, TextDelta
from rtchat.store import Store


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_a_locked_file_does_not_stall_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    clock = FakeClock()
    # A busy timeout far longer than the test: an inline write would sit in it.
    store = Store.open(path, busy_timeout=60.0, clock=clock, now=clock)
    conv = store.create_conversation("m")
    store.add_user_message(conv, "prompt")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)

    waiting_for_lock = threading.Event()

    def watch(sql: str) -> None:
        if sql.startswith("BEGIN IMMEDIATE"):
            waiting_for_lock.set()

    store.worker.run(lambda conn: conn.set_trace_callback(watch))

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    try:
        clock.t += 1.0
        feed(TextDelta("<0>"))  # a flush: the writer thread now waits for the lock
        assert await asyncio.to_thread(waiting_for_lock.wait, 30)
        for i in range(1, 200):
            clock.t += 0.6  # every event is due a flush
            before = ticks
            feed(TextDelta(f"<{i}>"))
            await asyncio.sleep(0)
            assert ticks > before, "the loop went on between two events"
        feed(Done("complete"))
        assert writer.flushes == 201
        # Every apply returned while the first write was still waiting for the lock.
        assert not writer.wait(timeout=0) and writer.saved == 0 and writer.failed is None
        # Readers are not behind the blocked writer either.
        assert [m.text for m in store.load_conversation(conv)[1]] == ["prompt", ""]
    finally:
        ticking.cancel()
        holder.execute("ROLLBACK")
        holder.close()

    assert await asyncio.to_thread(writer.wait, 60)
    assert writer.failed is None
    assert writer.saved == 2  # the snapshot that waited for the lock, then the newest: the rest coalesced
    answer = store.load_conversation(conv)[1][-1]
    assert (answer.text, answer.status) == ("".join(f"<{i}>" for i in range(200)), "complete")
    assert store.close()


def test_close_waits_for_pending_writes(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    store = Store.open(path)
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(TextDelta("last words"))
    writer.close()
    assert store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("SELECT text, status FROM messages").fetchall() == [("last words", "interrupted")]
    finally:
        connection.close()

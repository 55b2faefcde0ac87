"""The history store against real SQLite files: round trips, streaming, search,
migrations and the failures a user can hit (locked, corrupt, full, unwritable)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.answers import Feed
from rtchat.conversation import ChatMessage, ThinkingBlock
from rtchat.events import (
    AudioChunk,
    Done,
    Error,
    Metrics,
    Notice,
    RedactedThinking,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    ToolCallDelta,
    Transcript,
    Usage,
)
from rtchat.store import (
    DATA_DIR_ENV,
    SCHEMA_VERSION,
    Store,
    StoreError,
    fts_query,
    title_from_prompt,
)
from tests.support.store import build_old_database, fts_is_consistent


class FakeClock:
    """Stands in for time.monotonic / time.time so cadence tests need no sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_path: Path, clock: FakeClock):
    opened = Store.open(db_path, clock=clock, now=clock)
    yield opened
    opened.close()


def committed(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read through a separate connection: only committed data is visible."""
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


# --------------------------------------------------------------------------- round trip


def test_round_trip_keeps_exactly_what_was_given(store: Store, clock: FakeClock) -> None:
    conv = store.create_conversation("claude-x", protocol="websocket", system="Be brief.")
    store.add_user_message(conv, "What is WAL?")
    writer = store.begin_answer(conv, "claude-x", provider="anthropic")
    feed = Feed(writer)
    for event in [
        ThinkingDelta("The user asks "),
        ThinkingDelta("about journaling."),
        ThinkingSignature("sig-1"),
        RedactedThinking("opaque=="),
        TextDelta("Write-ahead "),
        TextDelta("logging."),
        Usage(input_tokens=10, cached_tokens=4),
        Usage(output_tokens=20, reasoning_tokens=7),
        Metrics(connect_ms=12.5, ttft_ms=80.0, total_ms=900.0, tokens_per_s=42.0),
        Done("complete"),
    ]:
        feed(event)
    assert writer.wait() and writer.failed is None

    record, messages = store.load_conversation(conv)
    assert (record.id, record.title, record.model, record.protocol, record.system) == (
        conv,
        "What is WAL?",
        "claude-x",
        "websocket",
        "Be brief.",
    )
    prompt, answer = messages
    assert (prompt.role, prompt.text, prompt.seq, prompt.status) == ("user", "What is WAL?", 1, "complete")
    assert (answer.role, answer.text, answer.seq, answer.status) == (
        "assistant",
        "Write-ahead logging.",
        2,
        "complete",
    )
    assert answer.thinking == [
        ThinkingBlock("The user asks about journaling.", "sig-1", None, "anthropic"),
        ThinkingBlock("", None, "opaque==", "anthropic"),
    ]
    assert (answer.input_tokens, answer.output_tokens, answer.cached_tokens, answer.reasoning_tokens) == (
        10,
        20,
        4,
        7,
    )
    assert answer.metrics["ttft_ms"] == 80.0 and answer.metrics["tokens_per_s"] == 42.0
    assert answer.model == "claude-x"
    assert answer.finish_reason == "complete"
    assert answer.created == clock.t


def test_no_field_can_hold_credentials(store: Store, db_path: Path) -> None:
    conv = store.create_conversation("gpt-x", system="sys")
    store.add_user_message(conv, "hello")
    with store.begin_answer(conv, "gpt-x") as writer:
        feed = Feed(writer)
        feed(TextDelta("hi"))
        feed(Done("complete"))
    writer.wait()

    forbidden = ("key", "secret", "password", "credential", "auth", "bearer")
    for table in ("conversations", "messages"):
        columns = [row[1] for row in committed(db_path, f"PRAGMA table_info({table})")]
        assert not [c for c in columns if any(word in c.lower() for word in forbidden)]
    stored_text = {
        value
        for table in ("conversations", "messages")
        for row in committed(db_path, f"SELECT * FROM {table}")
        for value in row
        if isinstance(value, str)
    }
    # Only what was given, plus the store's own vocabulary.
    given = {"gpt-x", "sys", "hello", "hi"}
    vocabulary = {"sse", "user", "assistant", "complete", "[]", "{}", ""}
    assert stored_text <= given | vocabulary
    assert given <= stored_text


def test_prompt_is_committed_before_returning(store: Store, db_path: Path) -> None:
    conv = store.create_conversation("m")
    message_id = store.add_user_message(conv, "keep me")
    assert committed(db_path, "SELECT text FROM messages WHERE id = ?", (message_id,)) == [("keep me",)]


def test_begin_answer_commits_a_streaming_row(store: Store, db_path: Path) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    assert committed(db_path, "SELECT status, model FROM messages WHERE id = ?", (writer.message_id,)) == [
        ("streaming", "m")
    ]


def test_unknown_conversation_is_a_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        store.add_user_message(999, "x")
    with pytest.raises(KeyError):
        store.load_conversation(999)
    with pytest.raises(KeyError):
        store.begin_answer(999, "m")


# --------------------------------------------------------------------------- titles


def test_title_comes_from_first_prompt_only(store: Store) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "\n  First line is the title\nsecond line is not")
    store.add_user_message(conv, "a later prompt")
    assert store.load_conversation(conv)[0].title == "First line is the title"


def test_given_title_is_kept(store: Store) -> None:
    conv = store.create_conversation("m", title="Mine")
    store.add_user_message(conv, "prompt")
    assert store.load_conversation(conv)[0].title == "Mine"


def test_long_title_is_cut_at_a_word_boundary() -> None:
    title = title_from_prompt("word " * 40)
    assert len(title) <= 61 and title.endswith("…")
    assert title[:-1].split() == ["word"] * len(title[:-1].split())
    assert title_from_prompt("x" * 100).startswith("x" * 60)
    assert title_from_prompt("bell\x07 esc\x1b[31m") == "bell esc [31m"


def test_rename(store: Store) -> None:
    conv = store.create_conversation("m")
    store.rename(conv, "  New\nname ")
    assert store.load_conversation(conv)[0].title == "New name"


# --------------------------------------------------------------------------- streaming writer


def test_many_events_stream_into_one_row(store: Store, clock: FakeClock, db_path: Path) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "count")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    expected = []
    for i in range(5000):
        piece = f"{i} "
        expected.append(piece)
        feed(TextDelta(piece))
        clock.advance(0.01)
    assert 90 <= writer.flushes <= 100  # one every 0.5 s of 50 s
    feed(Done("complete"))
    writer.wait()
    assert committed(db_path, "SELECT text, status FROM messages WHERE id = ?", (writer.message_id,)) == [
        ("".join(expected), "complete")
    ]


def test_flush_happens_once_half_a_second_has_passed(store: Store, clock: FakeClock, db_path: Path) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)

    def saved_text() -> str:  # as another rtchat reads it: the row's text and the chunks streamed so far
        reader = Store.open_read_only(db_path)
        try:
            return reader.load_conversation(conv)[1][-1].text
        finally:
            reader.close()

    clock.advance(0.2)
    feed(TextDelta("a"))
    clock.advance(0.29)  # 0.49 s since begin
    feed(TextDelta("b"))
    assert writer.flushes == 0 and writer.wait() and saved_text() == ""
    clock.advance(0.01)  # 0.50 s
    feed(TextDelta("c"))
    assert writer.flushes == 1 and writer.wait() and saved_text() == "abc"
    clock.advance(0.3)
    feed(TextDelta("d"))
    assert writer.flushes == 1 and writer.wait() and saved_text() == "abc"
    clock.advance(0.2)
    feed(Usage(output_tokens=4))
    assert writer.flushes == 2 and writer.wait() and saved_text() == "abcd"
    assert writer.saved == 2


def test_done_flushes_at_once(store: Store, db_path: Path) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(TextDelta("quick"))
    feed(Done("complete"))
    writer.wait()
    assert committed(db_path, "SELECT text, status FROM messages WHERE id = ?", (writer.message_id,)) == [
        ("quick", "complete")
    ]


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("complete", "complete"),
        ("length", "complete"),
        ("refusal", "complete"),
        ("tool_use", "complete"),
        ("interrupted", "interrupted"),
        ("error", "error"),
    ],
)
def test_done_reason_sets_status(store: Store, reason: str, status: str) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(TextDelta("x"))
    feed(Done(reason))
    writer.wait()
    message = store.load_conversation(conv)[1][0]
    assert (message.status, message.finish_reason) == (status, reason)


def test_error_event_is_stored(store: Store) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(Error("rate_limit", "Slow down", retryable=True))
    feed(Done("error"))
    writer.wait()
    message = store.load_conversation(conv)[1][0]
    assert (message.status, message.error_kind, message.error) == ("error", "rate_limit", "Slow down")


def test_close_marks_an_unfinished_answer_interrupted(store: Store, db_path: Path) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(TextDelta("half"))
    writer.close()
    writer.wait()
    assert committed(db_path, "SELECT text, status FROM messages") == [("half", "interrupted")]
    feed(TextDelta("ignored after close"))
    assert store.load_conversation(conv)[1][0].text == "half"


def test_close_keeps_a_finished_status_and_takes_an_explicit_one(store: Store) -> None:
    conv = store.create_conversation("m")
    done = store.begin_answer(conv, "m")
    feed_done = Feed(done)
    feed_done(Done("complete"))
    done.close()
    explicit = store.begin_answer(conv, "m")
    explicit.close(status="error")
    assert done.wait() and explicit.wait()
    assert [m.status for m in store.load_conversation(conv)[1]] == ["complete", "error"]


def test_events_the_history_does_not_keep_are_ignored(store: Store) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    for event in [Notice("retrying"), AudioChunk(b"\0\0", 24000), ToolCallDelta(0, "id", "f", "{}")]:
        feed(event)
    feed(Done("complete"))
    writer.wait()
    assert store.load_conversation(conv)[1][0].text == ""


def test_transcripts_go_to_the_answer_and_its_prompt(store: Store) -> None:
    conv = store.create_conversation("m", protocol="webrtc")
    store.add_user_message(conv, "")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(Transcript("user", "What time "))
    feed(Transcript("user", "is it?", final=True))
    feed(Transcript("assistant", "It is "))
    feed(Transcript("assistant", "noon."))
    feed(Transcript("assistant", "It is noon.", final=True))
    feed(Done("complete"))
    writer.wait()
    record, (prompt, answer) = store.load_conversation(conv)
    assert prompt.transcript == "What time is it?"
    assert answer.transcript == "It is noon."
    assert record.title == "What time is it?"
    sent = store.to_conversation(conv)
    assert [(m.role, m.text) for m in sent.messages] == [("user", "What time is it?"), ("assistant", "It is noon.")]


def test_a_new_thinking_block_starts_after_a_signature(store: Store) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m", provider="p")
    feed = Feed(writer)
    for event in [ThinkingDelta("one"), ThinkingSignature("s1"), ThinkingDelta("two"), ThinkingSignature("s2")]:
        feed(event)
    feed(Done("complete"))
    writer.wait()
    blocks = store.load_conversation(conv)[1][0].thinking
    assert [(b.text, b.signature) for b in blocks] == [("one", "s1"), ("two", "s2")]


# --------------------------------------------------------------------------- recovery


def test_recover_marks_streaming_rows_interrupted(db_path: Path) -> None:
    store = Store.open(db_path)
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(TextDelta("partial"))
    writer.flush()
    store.close()  # no writer.close(): as if the process died

    assert committed(db_path, "SELECT status FROM messages") == [("streaming",)]
    reopened = Store.open(db_path)
    assert committed(db_path, "SELECT text, status FROM messages") == [("partial", "interrupted")]
    assert reopened.recover() == 0
    assert [h.message_id for h in reopened.search("partial")] == [writer.message_id]
    reopened.close()


def test_recover_returns_how_many(store: Store) -> None:
    conv = store.create_conversation("m")
    store.begin_answer(conv, "m")
    store.begin_answer(conv, "m")
    assert store.recover() == 2


# --------------------------------------------------------------------------- reading


def test_list_is_newest_first_with_counts_and_filter(store: Store, clock: FakeClock) -> None:
    ids = []
    for title in ["Ärger mit SQLite", "Python tips", "more sqlite notes"]:
        clock.advance(1)
        conv = store.create_conversation("m", title=title)
        store.add_user_message(conv, "q")
        ids.append(conv)
    clock.advance(1)
    store.add_user_message(ids[0], "bump")  # now the most recently updated

    listed = store.list_conversations()
    assert [s.id for s in listed] == [ids[0], ids[2], ids[1]]
    assert [s.message_count for s in listed] == [2, 1, 1]
    assert [s.id for s in store.list_conversations("SQLITE")] == [ids[0], ids[2]]
    assert [s.id for s in store.list_conversations("ärger")] == [ids[0]]
    assert [s.id for s in store.list_conversations(limit=1)] == [ids[0]]
    assert store.last_conversation_id() == ids[0]


def test_empty_store(store: Store) -> None:
    assert store.list_conversations() == []
    assert store.last_conversation_id() is None
    assert store.search("anything") == []


def test_delete_removes_messages_and_search_hits(store: Store) -> None:
    keep = store.create_conversation("m")
    store.add_user_message(keep, "shared word")
    gone = store.create_conversation("m")
    store.add_user_message(gone, "shared word")
    assert store.delete(gone) is True
    assert store.delete(gone) is False
    assert [h.conversation_id for h in store.search("shared")] == [keep]
    assert [s.id for s in store.list_conversations()] == [keep]
    assert fts_is_consistent(store)


def test_to_conversation_skips_failed_empty_answers(store: Store) -> None:
    conv = store.create_conversation("m", system="You are terse.")
    store.add_user_message(conv, "first")
    failed = store.begin_answer(conv, "m")
    feed_failed = Feed(failed)
    feed_failed(Error("server", "boom"))
    feed_failed(Done("error"))
    store.add_user_message(conv, "again")
    partial = store.begin_answer(conv, "m", provider="anthropic")
    feed_partial = Feed(partial)
    feed_partial(ThinkingDelta("hmm"))
    feed_partial(ThinkingSignature("sig"))
    feed_partial(TextDelta("half an ans"))
    partial.close()
    partial.wait()

    conversation = store.to_conversation(conv)
    assert conversation.system == "You are terse."
    assert conversation.messages == [
        ChatMessage("user", "first"),
        ChatMessage("user", "again"),
        ChatMessage("assistant", "half an ans", [ThinkingBlock("hmm", "sig", None, "anthropic")]),
    ]


# --------------------------------------------------------------------------- search


def test_search_finds_text_and_thinking_newest_first(store: Store) -> None:
    old = store.create_conversation("m", title="Old")
    store.add_user_message(old, "tell me about databases")
    new = store.create_conversation("m", title="New")
    writer = store.begin_answer(new, "m")
    feed = Feed(writer)
    feed(ThinkingDelta("The user wants database internals"))
    feed(TextDelta("B-trees everywhere"))
    feed(Done("complete"))
    writer.wait()

    hits = store.search("database")  # stemmed: also matches "databases"
    assert [(h.conversation_id, h.title) for h in hits] == [(new, "New"), (old, "Old")]
    assert "[database]" in hits[0].snippet
    assert "[databases]" in hits[1].snippet
    assert [h.message_id for h in store.search("b-trees everywhere")] == [writer.message_id]
    assert store.search("database", limit=1)[0].conversation_id == new
    assert store.search("database nothere") == []


def test_search_ignores_signatures_and_streaming_rows(store: Store) -> None:
    conv = store.create_conversation("m")
    done = store.begin_answer(conv, "m")
    feed_done = Feed(done)
    feed_done(ThinkingDelta("plain"))
    feed_done(ThinkingSignature("zzsignaturezz"))
    feed_done(Done("complete"))
    streaming = store.begin_answer(conv, "m")
    feed_streaming = Feed(streaming)
    feed_streaming(TextDelta("unfinished"))
    streaming.flush()
    assert done.wait() and streaming.wait()
    assert store.search("zzsignaturezz") == [] and store.search("signature") == []
    assert store.search("unfinished") == []
    feed_streaming(Done("complete"))
    streaming.wait()
    assert [h.message_id for h in store.search("unfinished")] == [streaming.message_id]
    assert fts_is_consistent(store)


@pytest.mark.parametrize(
    "hostile",
    ['"', "*", "NEAR(", "-", ":", 'a"b', "col:word", "NEAR(a b", "AND OR NOT", "^x", "(", ")", "{a b}:c", "'", "\\", "\x00", "0\x00", "a\x00b", ""],
)
def test_hostile_search_strings_never_raise(store: Store, hostile: str) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "a b c NEAR word col x")
    store.search(hostile)
    store.search(f"word {hostile}")


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('say "hi" NEAR(x) -y') == '"say"* """hi"""* "NEAR(x)"* "-y"*'  # each a quoted prefix


def test_search_matches_word_prefixes(store: Store) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "I was typing slowly")
    assert [h.conversation_id for h in store.search("typi")] == [conv]
    assert store.search("typx") == []
    assert fts_query("* - : ") == ""


# --------------------------------------------------------------------------- migrations


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_migrates_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.db"
    build_old_database(path, version)
    store = Store.open(path)
    assert committed(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    if version >= 1:
        record, messages = store.load_conversation(7)
        assert (record.title, record.model, record.system) == ("Legacy chat", "old-model", "sys")
        assert [m.text for m in messages] == ["ancient question about volcanoes", "Magma rises.", "cut off mid"]
        assert messages[1].thinking == [ThinkingBlock("geology pondering", "s", None, "p")]
        assert messages[1].input_tokens == 5
        assert messages[2].status == "interrupted"
        assert [h.message_id for h in store.search("volcano")] == [1]
        assert [h.message_id for h in store.search("pondering")] == [2]
        assert [h.message_id for h in store.search("cut off")] == [3]
        if version >= 2:
            assert messages[1].transcript == "spoken lava words"
            assert [h.message_id for h in store.search("lava")] == [2]
        assert messages[1].cost_usd is None, "an answer from before costs were kept has no cost, not zero"
        assert store.list_conversations()[0].cost_usd is None
    # The upgraded file works like a new one.
    conv = store.create_conversation("new-model")
    store.add_user_message(conv, "fresh prompt")
    assert [h.conversation_id for h in store.search("fresh")] == [conv]
    assert fts_is_consistent(store)
    store.close()


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    connection = sqlite3.connect(db_path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StoreError, match="newer rtchat") as raised:
        Store.open(db_path)
    assert raised.value.problem == "version"


def test_reopening_keeps_data_and_version(db_path: Path) -> None:
    with Store.open(db_path) as store:
        conv = store.create_conversation("m")
        store.add_user_message(conv, "persisted")
    with Store.open(db_path) as store:
        assert [m.text for m in store.load_conversation(conv)[1]] == ["persisted"]
    assert committed(db_path, "PRAGMA journal_mode") == [("wal",)]


# --------------------------------------------------------------------------- location


def test_default_location_honours_the_data_dir_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    with Store.open() as store:
        assert store.path == str(tmp_path / "data" / "history.db")
    assert (tmp_path / "data" / "history.db").exists()


def test_two_stores_share_one_file(db_path: Path) -> None:
    with Store.open(db_path) as first, Store.open(db_path) as second:
        conv = first.create_conversation("m")
        first.add_user_message(conv, "seen by the other")
        assert [m.text for m in second.load_conversation(conv)[1]] == ["seen by the other"]


# --------------------------------------------------------------------------- failures


def test_locked_database_gives_a_clear_message(db_path: Path) -> None:
    with Store.open(db_path, busy_timeout=0.1) as store:
        conv = store.create_conversation("m")
        writer = store.begin_answer(conv, "m")
        feed = Feed(writer)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreError) as raised:
                Store.open(db_path, busy_timeout=0.1)
            assert raised.value.problem == "locked"
            assert str(db_path) in str(raised.value) and "locked" in str(raised.value)
            with pytest.raises(StoreError, match="locked"):
                store.add_user_message(conv, "blocked")

            feed(TextDelta("kept in memory"))
            feed(Done("complete"))  # must not raise into the stream
            assert writer.wait() and writer.failed is not None and writer.failed.problem == "locked"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        writer.close()  # the lock is gone: everything buffered is saved now
        writer.wait()
        assert [(m.text, m.status) for m in store.load_conversation(conv)[1]] == [("kept in memory", "complete")]


def test_corrupt_file_gives_a_clear_message(db_path: Path) -> None:
    db_path.write_bytes(b"this is certainly not SQLite \x00\xff" * 200)
    with pytest.raises(StoreError) as raised:
        Store.open(db_path)
    assert raised.value.problem == "corrupt"
    assert str(db_path) in str(raised.value) and "Move it aside" in str(raised.value)


def test_unwritable_location_gives_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreError) as raised:
        Store.open(blocker / "history.db")
    assert raised.value.problem == "unwritable"
    assert DATA_DIR_ENV in str(raised.value)


def test_full_disk_never_breaks_the_stream(store: Store, clock: FakeClock) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "fill it")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    # max_page_count belongs to a connection: set it on the one that writes.
    page_count = store.worker.run(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    store.worker.run(lambda conn: conn.execute(f"PRAGMA max_page_count = {page_count}"))  # SQLITE_FULL

    chunk = "x" * 10_000
    for _ in range(20):
        feed(TextDelta(chunk))
        clock.advance(0.6)
    assert writer.wait() and writer.failed is not None and writer.failed.problem == "full"
    assert "disk is full" in str(writer.failed) and store.path in str(writer.failed)
    assert writer.text == chunk * 20  # nothing lost in memory
    with pytest.raises(StoreError, match="disk is full"):
        store.add_user_message(conv, "y" * 50_000)

    store.worker.run(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))  # space freed
    feed(Done("complete"))
    writer.wait()
    assert store.load_conversation(conv)[1][-1].text == chunk * 20
    assert fts_is_consistent(store)


# --------------------------------------------------------------------------- properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.text(max_size=40))
def test_any_search_text_is_safe(store: Store, words: str) -> None:
    store.search(words)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.text(max_size=200), answer=st.lists(st.text(max_size=20), max_size=20))
def test_any_text_round_trips(store: Store, prompt: str, answer: list[str]) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, prompt)
    with store.begin_answer(conv, "m") as writer:
        feed = Feed(writer)
        for piece in answer:
            feed(TextDelta(piece))
        feed(Done("complete"))
    writer.wait()
    _, (saved_prompt, saved_answer) = store.load_conversation(conv)
    assert (saved_prompt.text, saved_answer.text) == (prompt, "".join(answer))

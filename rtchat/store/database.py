"""The chat history: every conversation in one SQLite file, safe against crashes.

Why SQLite in WAL mode: a prompt is committed before its request leaves, an
answer is committed every half second while it streams, and a `kill -9` at any
moment leaves a readable file whose half-written answers `recover()` marks as
interrupted. Readers (a second rtchat, the history browser) never block the
writer.

Failures never take the running chat with them: every SQLite error becomes a
`StoreError` whose message names the file and says what to do, and an
`AnswerWriter` swallows write failures (`writer.failed`) so the streaming loop
goes on; the app keeps its own in-memory conversation.

The store has no field for credentials: API keys live in the keyring and config,
never here.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtchat.answer import Answer, AnswerBuilder
from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock
from rtchat.events import Metrics, Usage

DATA_DIR_ENV = "RTCHAT_DATA_DIR"
DB_FILENAME = "history.db"
FLUSH_INTERVAL_S = 0.5
BUSY_TIMEOUT_S = 2.0
TITLE_MAX_CHARS = 60

STATUSES = ("complete", "streaming", "interrupted", "error")


# --------------------------------------------------------------------------- schema

# Each entry migrates from version i to i+1 (PRAGMA user_version). Never edit a
# shipped entry: old files are upgraded by replaying the ones they lack.
MIGRATIONS: list[list[str]] = [
    # v1: conversations and messages.
    [
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL,
            protocol TEXT NOT NULL DEFAULT 'sse',
            system TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL
        )""",
        "CREATE INDEX conversations_by_updated ON conversations(updated)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            text TEXT NOT NULL DEFAULT '',
            thinking TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'complete'
                CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
            finish_reason TEXT,
            error_kind TEXT,
            error TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cached_tokens INTEGER,
            reasoning_tokens INTEGER,
            metrics TEXT NOT NULL DEFAULT '{}',
            model TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            UNIQUE (conversation_id, seq)
        )""",
        "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
    ],
    # v2: what was spoken (voice sessions).
    [
        "ALTER TABLE messages ADD COLUMN transcript TEXT NOT NULL DEFAULT ''",
    ],
    # v3: full-text search over text, thinking and transcript. Streaming rows are
    # left out of the index (their text changes every flush) and enter it when they
    # end. `thinking_text` is the plain text of the thinking blocks, so signatures
    # and JSON keys are not indexed.
    [
        "ALTER TABLE messages ADD COLUMN thinking_text TEXT NOT NULL DEFAULT ''",
        """UPDATE messages SET thinking_text = coalesce((
               SELECT group_concat(json_extract(value, '$.text'), char(10))
               FROM json_each(messages.thinking)
               WHERE coalesce(json_extract(value, '$.text'), '') != ''), '')
           WHERE thinking != '[]'""",
        """CREATE VIEW messages_indexed AS
           SELECT id, text, thinking_text, transcript FROM messages WHERE status != 'streaming'""",
        """CREATE VIRTUAL TABLE messages_fts USING fts5(
               text, thinking_text, transcript,
               content='messages_indexed', content_rowid='id',
               tokenize='porter unicode61 remove_diacritics 2')""",
        """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
           WHEN new.status != 'streaming' BEGIN
               INSERT INTO messages_fts(rowid, text, thinking_text, transcript)
               VALUES (new.id, new.text, new.thinking_text, new.transcript);
           END""",
        """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
           WHEN old.status != 'streaming' BEGIN
               INSERT INTO messages_fts(messages_fts, rowid, text, thinking_text, transcript)
               VALUES ('delete', old.id, old.text, old.thinking_text, old.transcript);
           END""",
        """CREATE TRIGGER messages_fts_update
           AFTER UPDATE OF text, thinking_text, transcript, status ON messages BEGIN
               INSERT INTO messages_fts(messages_fts, rowid, text, thinking_text, transcript)
               SELECT 'delete', old.id, old.text, old.thinking_text, old.transcript
               WHERE old.status != 'streaming';
               INSERT INTO messages_fts(rowid, text, thinking_text, transcript)
               SELECT new.id, new.text, new.thinking_text, new.transcript
               WHERE new.status != 'streaming';
           END""",
        "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


# --------------------------------------------------------------------------- errors


class StoreError(Exception):
    """A history problem explained for a human: what happened to which file, and what to do.

    `kind` is one of "full", "locked", "corrupt", "unwritable", "version", "other".
    """

    def __init__(self, message: str, *, path: str, kind: str = "other") -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


def _classify(exc: BaseException) -> str:
    text = str(exc).lower()
    if "full" in text:
        return "full"
    if "locked" in text or "busy" in text:
        return "locked"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "corrupt"
    if isinstance(exc, OSError) or any(
        word in text for word in ("readonly", "read-only", "unable to open", "permission", "i/o error")
    ):
        return "unwritable"
    return "other"


def explain(exc: BaseException, path: str, doing: str) -> StoreError:
    """Turn an sqlite3/OS error into a StoreError a user can act on."""
    kind = _classify(exc)
    if kind == "full":
        message = (
            f"Could not {doing} the chat history at {path}: the disk is full. "
            "Free some space; the current chat goes on, but it is not being saved."
        )
    elif kind == "locked":
        message = (
            f"Could not {doing} the chat history at {path}: another program is holding it locked "
            "(another rtchat, or a tool with the file open). Close it and try again."
        )
    elif kind == "corrupt":
        message = (
            f"The chat history at {path} is damaged and cannot be read ({exc}). "
            f"Move it aside (for example rename it to {Path(path).name}.broken) and rtchat "
            "will start a new, empty history."
        )
    elif kind == "unwritable":
        message = (
            f"Could not {doing} the chat history at {path}: the file or its folder is not "
            f"writable ({exc}). Check the permissions, or point {DATA_DIR_ENV} at a writable folder."
        )
    else:
        message = f"Could not {doing} the chat history at {path}: {exc}."
    error = StoreError(message, path=path, kind=kind)
    error.__cause__ = exc
    return error


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class ConversationRecord:
    id: int
    title: str
    model: str
    protocol: str
    system: str | None
    created: float
    updated: float


@dataclass(slots=True)
class ConversationSummary:
    """One row of the history browser."""

    id: int
    title: str
    model: str
    protocol: str
    created: float
    updated: float
    message_count: int


@dataclass(slots=True)
class MessageRecord:
    id: int
    conversation_id: int
    seq: int
    role: str
    text: str
    thinking: list[ThinkingBlock] = field(default_factory=list)
    transcript: str = ""
    status: str = "complete"
    finish_reason: str | None = None
    error_kind: str | None = None
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    created: float = 0.0
    updated: float = 0.0


@dataclass(slots=True)
class SearchHit:
    conversation_id: int
    title: str
    message_id: int
    role: str
    snippet: str
    created: float


# --------------------------------------------------------------------------- helpers


def default_path() -> Path:
    """history.db in RTCHAT_DATA_DIR if set, else the platform's per-user data folder."""
    directory = os.environ.get(DATA_DIR_ENV)
    if not directory:
        import platformdirs

        directory = platformdirs.user_data_dir("rtchat")
    return Path(directory) / DB_FILENAME


def one_line(text: str) -> str:
    """Text fit for a title: unprintable characters become spaces, runs of space one."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def title_from_prompt(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """A conversation title from its first prompt: first non-empty line, cut at a word boundary."""
    line = one_line(next((line for line in text.splitlines() if line.strip()), ""))
    if len(line) <= limit:
        return line
    cut = line[:limit]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")


def fts_query(words: str) -> str:
    """User words as an FTS5 query that matches all of them: every word is a quoted
    string, so `"`, `*`, `NEAR(`, `-`, `:` and the like are text, never syntax.
    Control characters go too: FTS5 reads NUL as the end of the query."""
    words = _CONTROL_CHARS.sub(" ", words)
    terms = [w for w in words.split() if any(ch.isalnum() for ch in w)]
    return " ".join('"' + w.replace('"', '""') + '"' for w in terms)


def thinking_to_json(blocks: list[ThinkingBlock]) -> str:
    return json.dumps(
        [
            {"text": b.text, "signature": b.signature, "redacted": b.redacted, "provider": b.provider}
            for b in blocks
        ],
        ensure_ascii=False,
    )


def thinking_from_json(data: str | None) -> list[ThinkingBlock]:
    if not data:
        return []
    return [
        ThinkingBlock(
            text=item.get("text") or "",
            signature=item.get("signature"),
            redacted=item.get("redacted"),
            provider=item.get("provider"),
        )
        for item in json.loads(data)
    ]


def _thinking_plain_text(blocks: list[ThinkingBlock]) -> str:
    return "\n".join(b.text for b in blocks if b.text)


def _casefold_contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle in haystack.casefold()


_MESSAGE_COLUMNS = (
    "id, conversation_id, seq, role, text, thinking, transcript, status, finish_reason, "
    "error_kind, error, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "metrics, model, created, updated"
)


def _message_from_row(row: sqlite3.Row) -> MessageRecord:
    return MessageRecord(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        role=row["role"],
        text=row["text"],
        thinking=thinking_from_json(row["thinking"]),
        transcript=row["transcript"],
        status=row["status"],
        finish_reason=row["finish_reason"],
        error_kind=row["error_kind"],
        error=row["error"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cached_tokens=row["cached_tokens"],
        reasoning_tokens=row["reasoning_tokens"],
        metrics=json.loads(row["metrics"] or "{}"),
        model=row["model"],
        created=row["created"],
        updated=row["updated"],
    )


# --------------------------------------------------------------------------- the store


class Store:
    """One open history file. Create with `Store.open()`."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: str,
        *,
        flush_interval: float,
        clock: Callable[[], float],
        now: Callable[[], float],
    ) -> None:
        self._conn = connection
        self.path = path
        self.flush_interval = flush_interval
        self.clock = clock  # monotonic: when to flush
        self.now = now  # wall clock: what to record
        self._lock = threading.RLock()

    # ---- opening

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        busy_timeout: float = BUSY_TIMEOUT_S,
        flush_interval: float = FLUSH_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> Store:
        """Open (creating and migrating as needed) and recover a crashed session's answers."""
        db_path = Path(path) if path is not None else default_path()
        shown = str(db_path)
        try:
            if shown != ":memory:":
                db_path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                shown, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as exc:
            raise explain(exc, shown, "open") from exc
        store = cls(connection, shown, flush_interval=flush_interval, clock=clock, now=now)
        try:
            store._configure(busy_timeout)
            store._migrate()
            store.recover()
        except StoreError:
            connection.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            connection.close()
            raise explain(exc, shown, "open") from exc
        return store

    def _configure(self, busy_timeout: float) -> None:
        conn = self._conn
        conn.row_factory = sqlite3.Row
        conn.create_function("rtchat_contains", 2, _casefold_contains, deterministic=True)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")  # also the first read: fails fast on a non-database
        # NORMAL in WAL: a commit survives the app crashing or being killed; only a power
        # cut can lose the last few commits. Keeps each flush far under a millisecond.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")

    def _migrate(self) -> None:
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The chat history at {self.path} was written by a newer rtchat "
                    f"(schema {version}, this one knows {SCHEMA_VERSION}). Upgrade rtchat, "
                    f"or point {DATA_DIR_ENV} at another folder.",
                    path=self.path,
                    kind="version",
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                with self._write("upgrade"):
                    # Re-read under the write lock: another rtchat may have migrated meanwhile.
                    current = self._conn.execute("PRAGMA user_version").fetchone()[0]
                    if current >= target:
                        continue
                    for statement in MIGRATIONS[target - 1]:
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- transactions

    @contextmanager
    def _write(self, doing: str = "save to") -> Iterator[sqlite3.Connection]:
        """One committed write transaction; any failure rolls back and becomes a StoreError."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if isinstance(exc, (sqlite3.Error, OSError)):
                    raise explain(exc, self.path, doing) from exc
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for multi-statement reads."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN")
                yield conn
            except (sqlite3.Error, OSError) as exc:
                raise explain(exc, self.path, "read") from exc
            finally:
                if conn.in_transaction:
                    try:
                        conn.execute("COMMIT")
                    except sqlite3.Error:
                        pass

    def _require_conversation(self, conn: sqlite3.Connection, conv_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM conversations WHERE id = ?", (conv_id,)).fetchone()
        if row is None:
            raise KeyError(f"no conversation {conv_id} in {self.path}")
        return row

    # ---- writing

    def create_conversation(
        self, model: str, protocol: str = "sse", system: str | None = None, title: str | None = None
    ) -> int:
        now = self.now()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (title, model, protocol, system, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (title or "", model, protocol, system, now, now),
            )
            return int(cursor.lastrowid)

    def _next_seq(self, conn: sqlite3.Connection, conv_id: int) -> int:
        row = conn.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE conversation_id = ?", (conv_id,)
        ).fetchone()
        return int(row[0])

    def add_user_message(self, conv_id: int, text: str) -> int:
        """Commit a prompt (before its request leaves); the first prompt names an untitled conversation."""
        now = self.now()
        with self._write() as conn:
            conversation = self._require_conversation(conn, conv_id)
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, seq, role, text, status, created, updated)"
                " VALUES (?, ?, 'user', ?, 'complete', ?, ?)",
                (conv_id, self._next_seq(conn, conv_id), text, now, now),
            )
            title = conversation["title"] or title_from_prompt(text)
            conn.execute(
                "UPDATE conversations SET title = ?, updated = ? WHERE id = ?", (title, now, conv_id)
            )
            return int(cursor.lastrowid)

    def begin_answer(self, conv_id: int, model: str, *, provider: str | None = None) -> AnswerWriter:
        """Commit an empty 'streaming' answer row and return the writer that fills it.

        `provider` is stamped on thinking blocks (they go back only to the provider
        that made them).
        """
        now = self.now()
        with self._write() as conn:
            self._require_conversation(conn, conv_id)
            previous = conn.execute(
                "SELECT id, role FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1",
                (conv_id,),
            ).fetchone()
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, seq, role, status, model, created, updated)"
                " VALUES (?, ?, 'assistant', 'streaming', ?, ?, ?)",
                (conv_id, self._next_seq(conn, conv_id), model, now, now),
            )
            conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conv_id))
            message_id = int(cursor.lastrowid)
        prompt_id = previous["id"] if previous is not None and previous["role"] == "user" else None
        return AnswerWriter(self, conv_id, message_id, prompt_id, provider)

    def _save_answer(self, writer_state: dict[str, Any], final: bool) -> None:
        now = self.now()
        with self._write() as conn:
            conn.execute(
                "UPDATE messages SET text = :text, thinking = :thinking, thinking_text = :thinking_text,"
                " transcript = :transcript, status = :status, finish_reason = :finish_reason,"
                " error_kind = :error_kind, error = :error, input_tokens = :input_tokens,"
                " output_tokens = :output_tokens, cached_tokens = :cached_tokens,"
                " reasoning_tokens = :reasoning_tokens, metrics = :metrics, updated = :now"
                " WHERE id = :id",
                {**writer_state, "now": now},
            )
            prompt_transcript = writer_state.get("prompt_transcript")
            if prompt_transcript is not None and writer_state.get("prompt_id") is not None:
                conn.execute(
                    "UPDATE messages SET transcript = ?, updated = ? WHERE id = ?",
                    (prompt_transcript, now, writer_state["prompt_id"]),
                )
                conn.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (title_from_prompt(prompt_transcript), writer_state["conversation_id"]),
                )
            if final:
                conn.execute(
                    "UPDATE conversations SET updated = ? WHERE id = ?",
                    (now, writer_state["conversation_id"]),
                )

    def recover(self) -> int:
        """Mark answers left 'streaming' by a crash or kill as 'interrupted'; return how many.

        A second rtchat streaming into the same file at this moment loses nothing: its
        writer sets 'streaming' again on its next flush.
        """
        with self._write("recover") as conn:
            cursor = conn.execute(
                "UPDATE messages SET status = 'interrupted', updated = ? WHERE status = 'streaming'",
                (self.now(),),
            )
            return cursor.rowcount

    def rename(self, conv_id: int, title: str) -> None:
        with self._write() as conn:
            self._require_conversation(conn, conv_id)
            conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (one_line(title), conv_id)
            )

    def delete(self, conv_id: int) -> bool:
        """Remove a conversation and its messages; False if there was none."""
        with self._write("delete from") as conn:
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conv_id,))
            cursor = conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))
            return cursor.rowcount > 0

    # ---- reading

    def list_conversations(
        self, filter_text: str | None = None, limit: int = 200
    ) -> list[ConversationSummary]:
        """Newest first; `filter_text` keeps titles containing it, ignoring case."""
        where, params = "", []
        needle = (filter_text or "").strip().casefold()
        if needle:
            where, params = "WHERE rtchat_contains(c.title, ?)", [needle]
        sql = (
            "SELECT c.id, c.title, c.model, c.protocol, c.created, c.updated,"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count"
            f" FROM conversations c {where} ORDER BY c.updated DESC, c.id DESC LIMIT ?"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (*params, limit)).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def load_conversation(self, conv_id: int) -> tuple[ConversationRecord, list[MessageRecord]]:
        with self._read() as conn:
            row = self._require_conversation(conn, conv_id)
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq",
                (conv_id,),
            ).fetchall()
        record = ConversationRecord(
            id=row["id"],
            title=row["title"],
            model=row["model"],
            protocol=row["protocol"],
            system=row["system"],
            created=row["created"],
            updated=row["updated"],
        )
        return record, [_message_from_row(r) for r in rows]

    def to_conversation(self, conv_id: int) -> Conversation:
        """The history as the next request sends it. Messages with no text (a failed
        answer, one interrupted before its first word) are left out: providers reject
        empty turns, and a half-thought without its answer is no use to the model."""
        record, messages = self.load_conversation(conv_id)
        conversation = Conversation(system=record.system)
        for message in messages:
            text = message.text or message.transcript  # voice turns have only a transcript
            if not text:
                continue
            conversation.messages.append(ChatMessage(message.role, text, list(message.thinking)))
        return conversation

    def last_conversation_id(self) -> int | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM conversations ORDER BY updated DESC, id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else int(row[0])

    def search(
        self, words: str, limit: int = 50, *, mark: tuple[str, str] = ("[", "]")
    ) -> list[SearchHit]:
        """Messages containing all the words (stemmed), newest first, with a marked snippet."""
        query = fts_query(words)
        if not query:
            return []
        sql = (
            "SELECT h.id, m.conversation_id, c.title, m.role, h.snippet, m.created FROM ("
            "  SELECT rowid AS id, snippet(messages_fts, -1, ?, ?, '…', 12) AS snippet"
            "  FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
            ") h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id"
            " ORDER BY h.id DESC"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (mark[0], mark[1], query, limit)).fetchall()
        return [
            SearchHit(
                conversation_id=r["conversation_id"],
                title=r["title"],
                message_id=r["id"],
                role=r["role"],
                snippet=r["snippet"],
                created=r["created"],
            )
            for r in rows
        ]


# --------------------------------------------------------------------------- the answer writer


class AnswerWriter:
    """Streams one answer into its row: events are folded by the one answer fold
    (rtchat.answer), written at most every `flush_interval` seconds and at once on Done.

    `apply` never raises for a storage failure: the first one is kept in `failed` (show
    it once) and the fold keeps growing, so a later flush can still save everything.
    """

    def __init__(
        self,
        store: Store,
        conversation_id: int,
        message_id: int,
        prompt_id: int | None,
        provider: str | None,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.message_id = message_id
        self.prompt_id = prompt_id
        self.provider = provider
        self.builder = AnswerBuilder(provider)
        self.forced_status: str | None = None
        self.failed: StoreError | None = None
        self.flushes = 0
        self.closed = False
        self._dirty = False
        self._clock = store.clock
        self._interval = store.flush_interval
        self._last_flush = self._clock()

    # ---- what has been received so far

    def answer(self) -> Answer:
        return self.builder.answer()

    @property
    def status(self) -> str:
        return self.forced_status or self.builder.answer().status

    @property
    def finish_reason(self) -> str | None:
        return self.builder.answer().reason

    @property
    def text(self) -> str:
        return self.builder.text

    @property
    def thinking(self) -> list[ThinkingBlock]:
        return list(self.builder.answer().thinking)

    @property
    def transcript(self) -> str:
        return self.builder.answer().transcript

    # ---- events

    def apply(self, event: object) -> None:
        """Take one rtchat event; events the history does not keep are ignored."""
        if self.closed or not self.builder.apply(event):  # type: ignore[arg-type]
            return
        self._dirty = True
        if self.builder.finished or self._clock() - self._last_flush >= self._interval:
            self.flush()

    # ---- saving

    def _state(self) -> dict[str, Any]:
        answer = self.builder.answer()
        status = self.forced_status or answer.status
        usage = answer.usage or Usage()
        metrics = answer.metrics
        return {
            "id": self.message_id,
            "conversation_id": self.conversation_id,
            "text": answer.text,
            "thinking": thinking_to_json(list(answer.thinking)),
            "thinking_text": _thinking_plain_text(list(answer.thinking)),
            "transcript": answer.transcript,
            "status": status,
            "finish_reason": answer.reason,
            "error_kind": None if answer.error is None else str(answer.error.kind),
            "error": None if answer.error is None else answer.error.message,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cached_tokens": usage.cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "metrics": json.dumps(_metrics_dict(metrics)),
            "prompt_id": self.prompt_id,
            "prompt_transcript": answer.user_transcript,
        }

    def flush(self) -> bool:
        """Write what has been received; False (and `failed` set) if the store refused."""
        if not self._dirty:
            return True
        self._last_flush = self._clock()  # a failing disk is retried at the normal pace, not per event
        try:
            state = self._state()
            self.store._save_answer(state, final=state["status"] != "streaming")
        except StoreError as exc:
            if self.failed is None:
                self.failed = exc
            return False
        self._dirty = False
        self.flushes += 1
        return True

    def close(self, status: str | None = None) -> None:
        """Finish the row: an explicit `status` wins; an answer still streaming is 'interrupted'
        ('error' if an Error event came). Never raises; see `failed`."""
        if self.closed:
            return
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            self.forced_status = status
        elif not self.builder.finished:
            self.forced_status = "error" if self.builder.answer().error is not None else "interrupted"
        self._dirty = True
        self.flush()
        self.closed = True

    def __enter__(self) -> AnswerWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _metrics_dict(metrics: Metrics | None) -> dict[str, Any]:
    if metrics is None:
        return {}
    fields = ("connect_ms", "headers_ms", "ttft_ms", "total_ms", "tokens_per_s", "output_chunks", "attempts")
    return {name: getattr(metrics, name) for name in fields if getattr(metrics, name) is not None}

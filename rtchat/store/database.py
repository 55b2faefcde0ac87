"""One open history file: opening it, and reading and writing conversations in it."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rtchat.conversation import ChatMessage, Conversation
from rtchat.store import search as fts
from rtchat.store.connection import BUSY_TIMEOUT_S, connect, read_snapshot, write_transaction
from rtchat.store.errors import StoreError, explain
from rtchat.store.location import default_path
from rtchat.store.records import (
    CONVERSATION_COLUMNS,
    MESSAGE_COLUMNS,
    ConversationRecord,
    ConversationSummary,
    MessageRecord,
    SearchHit,
    message_from_row,
    one_line,
    record_from_row,
    title_from_prompt,
)
from rtchat.store.schema import migrate
from rtchat.store.writer import AnswerWriter

FLUSH_INTERVAL_S = 0.5


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
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise explain(exc, shown, "open") from exc
        connection = connect(shown, busy_timeout, check_same_thread=False)
        store = cls(connection, shown, flush_interval=flush_interval, clock=clock, now=now)
        try:
            fts.install_functions(connection)
            with store._lock:
                migrate(connection, shown)
            store.recover()
        except StoreError:
            connection.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            connection.close()
            raise explain(exc, shown, "open") from exc
        return store

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
        with self._lock, write_transaction(self._conn, self.path, doing) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, read_snapshot(self._conn, self.path) as conn:
            yield conn

    def _require_conversation(self, conn: sqlite3.Connection, conv_id: int) -> sqlite3.Row:
        row = conn.execute(f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conv_id,)).fetchone()
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
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq",
                (conv_id,),
            ).fetchall()
        return record_from_row(ConversationRecord, row), [message_from_row(r) for r in rows]

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
        with self._read() as conn:
            return fts.search(conn, words, limit, mark)

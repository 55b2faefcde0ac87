"""One open history file: opening it, and reading and writing conversations in it.

Reads run on the caller's thread through the readers' connection (WAL: they never
wait for a writer). Every write runs on the store's writer thread (`worker`): the
one-off writes here wait for it, the streaming writer never does.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from rtchat.answer import Answer
from rtchat.attachments import Attachment, one_line_name
from rtchat.conversation import ChatMessage, Conversation, has_words
from rtchat.private_files import FILE_MODE, private_file, private_folder, tighten
from rtchat.store import branches, chunks, shares, tool_blocks
from rtchat.store import search as fts
from rtchat.store.branches import LEAF, Parent
from rtchat.store.connection import BUSY_TIMEOUT_S, connect, connect_read_only, read_snapshot, write_transaction
from rtchat.store.errors import StoreError, explain
from rtchat.store.location import default_path
from rtchat.store.records import (
    UNPRICED_ANSWER,
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
from rtchat.store.worker import ReadOnlyWorker, WriteWorker
from rtchat.store.writer import AnswerWriter

FLUSH_INTERVAL_S = 0.5
R = TypeVar("R")


class Store:
    """One open history file. Create with `Store.open()`."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        worker: WriteWorker,
        path: str,
        *,
        busy_timeout: float,
        flush_interval: float,
        clock: Callable[[], float],
        now: Callable[[], float],
    ) -> None:
        self._conn = connection  # the readers' connection, shared by threads under _lock
        self.worker = worker
        self.path = path
        self.flush_interval = flush_interval
        self.clock = clock  # monotonic: when to flush
        self.now = now  # wall clock: what to record
        # close() waits this long for pending writes: one running and one queued
        # snapshot per writer, each of which gives up after the busy timeout.
        self.close_timeout = 2 * busy_timeout + 1.0
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
        """Open (creating and migrating as needed) and recover a crashed session's answers.

        A file, not ":memory:": readers and the writer thread use separate connections."""
        db_path = Path(path) if path is not None else default_path()
        shown = str(db_path)
        try:
            make_private(db_path)
        except OSError as exc:
            raise explain(exc, shown, "open") from exc
        connection = connect(shown, busy_timeout, check_same_thread=False)
        try:
            fts.install_functions(connection)
            worker = WriteWorker(shown, busy_timeout)
        except BaseException:
            connection.close()
            raise
        store = cls(
            connection, worker, shown, busy_timeout=busy_timeout, flush_interval=flush_interval, clock=clock, now=now
        )
        try:
            worker.run(lambda conn: migrate(conn, shown))
            store.recover()
        except StoreError:
            store.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            store.close()
            raise explain(exc, shown, "open") from exc
        return store

    @classmethod
    def open_read_only(cls, path: str | os.PathLike[str] | None = None) -> Store:
        """Open an existing history only to read it (`history`, `export` when the folder is
        read-only or full). No migration, no recovery; a write raises StoreError."""
        shown = str(Path(path) if path is not None else default_path())
        if not Path(shown).is_file():
            raise StoreError(f"There is no chat history at {shown} yet.", path=shown, problem="other")
        connection = connect_read_only(shown)
        fts.install_functions(connection)
        return cls(
            connection, ReadOnlyWorker(shown), shown,
            busy_timeout=BUSY_TIMEOUT_S, flush_interval=FLUSH_INTERVAL_S, clock=time.monotonic, now=time.time,
        )

    def close(self, timeout: float | None = None) -> bool:
        """Write what is pending (waiting at most `timeout`, default `close_timeout`), then close.

        False if pending writes were still waiting for a lock: the writer thread keeps
        trying in the background and closes its connection when done."""
        landed = self.worker.close(self.close_timeout if timeout is None else timeout)
        with self._lock:
            self._conn.close()
        return landed

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- transactions

    def _write(self, job: Callable[[sqlite3.Connection], R], doing: str = "save to") -> R:
        """Run `job` in one committed transaction on the writer thread, and wait for it."""

        def transaction(conn: sqlite3.Connection) -> R:
            with write_transaction(conn, self.path, doing):
                return job(conn)

        return self.worker.run(transaction)

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

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO conversations (title, model, protocol, system, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (title or "", model, protocol, system, now, now),
            )
            return int(cursor.lastrowid)

        return self._write(insert)

    def _next_seq(self, conn: sqlite3.Connection, conv_id: int) -> int:
        row = conn.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE conversation_id = ?", (conv_id,)
        ).fetchone()
        return int(row[0])

    def _insert_message(self, conn: sqlite3.Connection, conv_id: int, parent: Parent, columns: dict[str, object]) -> int:
        """Insert a message after `parent` and make it the conversation's current leaf."""
        parent_id = branches.resolve_parent(conn, conv_id, parent)
        extends = branches.follows_leaf(conn, conv_id, parent_id)
        values = {**columns, "conversation_id": conv_id, "seq": self._next_seq(conn, conv_id), "parent_id": parent_id}
        names = ", ".join(values)
        cursor = conn.execute(
            f"INSERT INTO messages ({names}) VALUES ({', '.join('?' for _ in values)})", tuple(values.values())
        )
        message_id = int(cursor.lastrowid)
        if not extends:  # a new branch: the old one stays, off the path
            branches.set_path(conn, conv_id, message_id)
        return message_id

    def add_user_message(
        self, conv_id: int, text: str, attachments: Sequence[Attachment] = (), *, parent: Parent = LEAF
    ) -> int:
        """Commit a prompt (before its request leaves); the first prompt names an untitled conversation.

        `parent` other than the leaf starts a branch (an edited prompt). Waits for the
        commit: the guarantee is that a sent prompt is on disk."""
        now = self.now()

        def insert(conn: sqlite3.Connection) -> int:
            conversation = self._require_conversation(conn, conv_id)
            message_id = self._insert_message(
                conn, conv_id, parent, {"role": "user", "text": text, "status": "complete", "created": now, "updated": now}
            )
            for position, attachment in enumerate(attachments):
                conn.execute(
                    "INSERT OR IGNORE INTO blobs (sha256, media_type, data) VALUES (?, ?, ?)",
                    (attachment.sha256, attachment.media_type, attachment.data),
                )
                conn.execute(
                    "INSERT INTO attachments (message_id, position, name, sha256) VALUES (?, ?, ?, ?)",
                    (message_id, position, attachment.name, attachment.sha256),
                )
            title = conversation["title"] or title_from_prompt(text)
            conn.execute(
                "UPDATE conversations SET title = ?, updated = ? WHERE id = ?", (title, now, conv_id)
            )
            return message_id

        return self._write(insert)

    def begin_answer(
        self, conv_id: int, model: str, *, provider: str | None = None, parent: Parent = LEAF
    ) -> AnswerWriter:
        """Commit an empty 'streaming' answer row and return the writer that fills it.

        `provider` is stamped on thinking blocks (they go back only to the provider
        that made them). `parent` other than the leaf makes a sibling answer (a
        regenerated one): it answers that prompt, and its branch becomes the current one.
        """
        now = self.now()

        def insert(conn: sqlite3.Connection) -> tuple[int, int | None]:
            self._require_conversation(conn, conv_id)
            parent_id = branches.resolve_parent(conn, conv_id, parent)
            previous = None if parent_id is None else conn.execute("SELECT id, role FROM messages WHERE id = ?", (parent_id,)).fetchone()
            message_id = self._insert_message(
                conn, conv_id, parent_id, {"role": "assistant", "status": "streaming", "model": model, "created": now, "updated": now}
            )
            conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conv_id))
            prompt_id = previous["id"] if previous is not None and previous["role"] == "user" else None
            return message_id, prompt_id

        message_id, prompt_id = self._write(insert)
        return AnswerWriter(self, conv_id, message_id, prompt_id, provider)

    def add_share(self, conv_id: int, share: shares.ShareRecord) -> int:
        """Record that frames of a screen, camera or file were shared in this conversation."""
        return self._write(lambda conn: shares.insert_share(conn, conv_id, share))

    def shares(self, conv_id: int) -> list[shares.ShareRecord]:
        with self._read() as conn:
            return shares.shares_of(conn, conv_id)

    def recover(self) -> int:
        """Mark answers left 'streaming' by a crash or kill as 'interrupted'; return how many.

        A second rtchat streaming into the same file at this moment loses nothing: its
        writer sets 'streaming' again on its next flush.
        """
        now = self.now()

        def mark(conn: sqlite3.Connection) -> int:
            streaming = [row[0] for row in conn.execute("SELECT id FROM messages WHERE status = 'streaming'")]
            chunks.join_into_text(conn, streaming)
            cursor = conn.execute(
                "UPDATE messages SET status = 'interrupted', updated = ? WHERE status = 'streaming'", (now,)
            )
            return cursor.rowcount

        return self._write(mark, "recover")

    def rename(self, conv_id: int, title: str) -> None:
        def update(conn: sqlite3.Connection) -> None:
            self._require_conversation(conn, conv_id)
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (one_line(title), conv_id))

        self._write(update)

    def select_branch(self, conv_id: int, message_id: int) -> int:
        """Put the conversation on the branch through `message_id` (down its newest children);
        returns the new leaf. What the next turn sends changes with it, and it persists."""

        def move(conn: sqlite3.Connection) -> int:
            branches.resolve_parent(conn, conv_id, message_id)  # KeyError if not in this conversation
            new_leaf = branches.newest_leaf_under(conn, message_id)
            branches.set_path(conn, conv_id, new_leaf)
            return new_leaf

        return self._write(move)

    def set_system(self, conv_id: int, system: str | None) -> None:
        """The conversation's system prompt from now on (None: none)."""

        def update(conn: sqlite3.Connection) -> None:
            self._require_conversation(conn, conv_id)
            conn.execute("UPDATE conversations SET system = ? WHERE id = ?", (system, conv_id))

        self._write(update)

    def delete(self, conv_id: int) -> bool:
        """Remove a conversation and its messages; False if there was none."""

        def remove(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conv_id,))
            return conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,)).rowcount > 0

        return self._write(remove, "delete from")

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
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.on_path) AS message_count,"
            " (SELECT sum(m.cost_usd) FROM messages m WHERE m.conversation_id = c.id) AS cost_usd,"
            " (SELECT max(1, count(*)) FROM messages m WHERE m.conversation_id = c.id"
            "  AND NOT EXISTS (SELECT 1 FROM messages k WHERE k.parent_id = m.id)) AS branches,"
            f" (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND {UNPRICED_ANSWER}) AS unpriced"
            f" FROM conversations c {where} ORDER BY c.updated DESC, c.id DESC LIMIT ?"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (*params, limit)).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def load_conversation(
        self, conv_id: int, *, all_branches: bool = False
    ) -> tuple[ConversationRecord, list[MessageRecord]]:
        """The conversation and the messages of its current branch in order (every branch's,
        in the order they were written, with `all_branches`). Each knows its siblings."""
        path_only = "" if all_branches else " AND on_path"
        with self._read() as conn:
            row = self._require_conversation(conn, conv_id)
            rows = conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?{path_only} ORDER BY seq",
                (conv_id,),
            ).fetchall()
            groups = branches.sibling_groups(conn, conv_id)
            streamed = chunks.pending(conn, [r["id"] for r in rows if r["status"] == "streaming"])
            steps = tool_blocks.load(conn, conv_id)
            files = conn.execute(
                "SELECT a.message_id, a.name, b.media_type, b.data FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256"
                " JOIN messages m ON m.id = a.message_id WHERE m.conversation_id = ? ORDER BY a.message_id, a.position",
                (conv_id,),
            ).fetchall()
        by_message: dict[int, list[Attachment]] = {}
        missing: dict[int, list[str]] = {}
        for message_id, name, media_type, data in files:
            if data is None:  # a damaged history: the attachment's file is gone; said, not dropped silently
                missing.setdefault(message_id, []).append(one_line_name(name))  # as every attachment name: one inert line
            else:
                by_message.setdefault(message_id, []).append(Attachment(name, media_type, bytes(data)))
        messages = [message_from_row(r) for r in rows]
        for message in messages:
            message.text += streamed.get(message.id, "")
            message.attachments = by_message.get(message.id, [])
            message.missing_attachments = missing.get(message.id, [])
            message.siblings = groups.get(message.parent_id, [message.id])
            message.rounds, message.open_calls = steps.get(message.id, ([], []))
        return record_from_row(ConversationRecord, row), messages

    def to_conversation(self, conv_id: int) -> Conversation:
        """The history as the next request sends it. Messages with no text (a failed
        answer, one interrupted before its first word) are left out: providers reject
        empty turns, and a half-thought without its answer is no use to the model."""
        record, messages = self.load_conversation(conv_id)
        return as_conversation(record, messages)

    def siblings(self, message_id: int) -> list[int]:
        """The messages sharing this one's parent (itself included), oldest first."""
        with self._read() as conn:
            return branches.siblings(conn, message_id)

    def last_conversation_id(self) -> int | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM conversations ORDER BY updated DESC, id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else int(row[0])

    def search(
        self,
        words: str,
        limit: int = 50,
        *,
        mark: tuple[str, str] = ("[", "]"),
        cancelled: threading.Event | None = None,
    ) -> list[SearchHit]:
        """Messages of every branch containing all the words (stemmed), newest first, with a
        marked snippet. Setting `cancelled` (from another thread) stops the query within a
        few thousand SQLite steps and returns no hits: the readers' lock is free again."""
        with self._read() as conn:
            if cancelled is None:
                return fts.search(conn, words, limit, mark)
            conn.set_progress_handler(cancelled.is_set, 1000)
            try:
                return fts.search(conn, words, limit, mark)
            except sqlite3.OperationalError:
                if cancelled.is_set():
                    return []
                raise
            finally:
                conn.set_progress_handler(None, 0)


def make_private(db_path: Path) -> None:
    """The history file and its WAL and SHM are 0600 (SQLite gives those two the main file's
    mode), created so or tightened; rtchat's data folder is 0700. A folder named by the caller
    is created 0700 but otherwise left alone: it may be shared."""
    folder = db_path.parent
    if folder == default_path().parent or not folder.exists():
        private_folder(folder)
    private_file(db_path)
    for suffix in ("-wal", "-shm"):
        tighten(Path(f"{db_path}{suffix}"), FILE_MODE)


def as_conversation(record: ConversationRecord, messages: Sequence[MessageRecord]) -> Conversation:
    """Stored messages as a request sends them: those with no words are left out (see
    `to_conversation`). An answer is rebuilt by the fold's own rule (`Answer.message`), so
    its tool steps go back exactly as they went when it was live."""
    conversation = Conversation(system=record.system)
    for message in messages:
        if message.role == "assistant":
            answer = Answer(text=message.text, thinking=tuple(message.thinking), rounds=tuple(message.rounds), transcript=message.transcript)
            sent = answer.message()
            if sent is not None:
                conversation.messages.append(sent)
            continue
        text = message.text or message.transcript  # voice turns have only a transcript
        if has_words(text):
            conversation.messages.append(ChatMessage(message.role, text, list(message.thinking), list(message.attachments)))
    return conversation

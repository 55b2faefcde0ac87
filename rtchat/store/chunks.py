"""A streaming answer's text, appended in chunks while it streams and joined once when it ends.

Why: SQLite rewrites a whole row on any UPDATE, so saving the answer so far every flush
wrote (and re-read) it again each time: disk writes grew with the square of the answer
(4.3 GB written for a 380 MB one). Each flush now inserts only the new part as a chunk
row; the answer's `text` column is written once, when it ends (which is also when it
enters the full-text index), and its chunks go. A row still 'streaming' (the answer is
running, or rtchat died mid-answer) reads as its `text` followed by its chunks, in order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from rtchat.store.connection import has_table


def append(conn: sqlite3.Connection, message_id: int, text: str) -> None:
    conn.execute("INSERT INTO answer_chunks (message_id, text) VALUES (?, ?)", (message_id, text))


def pending(conn: sqlite3.Connection, message_ids: Iterable[int]) -> dict[int, str]:
    """The chunk text not yet joined into each message's `text`, for those that have any."""
    joined: dict[int, list[str]] = {}
    if not has_table(conn, "answer_chunks"):  # a file older than schema 7, opened read-only
        return {}
    for message_id in message_ids:
        for (text,) in conn.execute("SELECT text FROM answer_chunks WHERE message_id = ? ORDER BY id", (message_id,)):
            joined.setdefault(message_id, []).append(text)
    return {message_id: "".join(parts) for message_id, parts in joined.items()}


def drop(conn: sqlite3.Connection, message_id: int) -> None:
    conn.execute("DELETE FROM answer_chunks WHERE message_id = ?", (message_id,))


def join_into_text(conn: sqlite3.Connection, message_ids: Iterable[int]) -> None:
    """Move each message's chunks onto the end of its `text` (an answer a crash left streaming)."""
    for message_id, rest in pending(conn, list(message_ids)).items():
        conn.execute("UPDATE messages SET text = text || ? WHERE id = ?", (rest, message_id))
        drop(conn, message_id)

"""Shares in the history: that a screen, camera or video file was shown to the model, and how
many of its frames went.

Only the source and the count are kept: a share makes a frame a second, and the frames
themselves are not the conversation. A frame that went as a turn's image is that prompt's
attachment, stored as any file is (so `--continue` sends it again, and nothing else)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

# v9 of the schema (store/schema.py).
CREATE_SHARES = """CREATE TABLE shares (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    fps REAL NOT NULL,
    frames INTEGER NOT NULL,
    started REAL NOT NULL,
    ended REAL NOT NULL
)"""
CREATE_SHARES_INDEX = "CREATE INDEX shares_by_conversation ON shares(conversation_id)"


@dataclass(frozen=True)
class ShareRecord:
    """One share, from `/share` to its stop: its source (`kind` screen | camera | file, `label`
    as the status line said it), its rate, the frames that went to the model, and when (wall clock)."""

    kind: str
    label: str
    fps: float
    frames: int
    started: float
    ended: float


def insert_share(conn: sqlite3.Connection, conv_id: int, share: ShareRecord) -> int:
    cursor = conn.execute(
        "INSERT INTO shares (conversation_id, kind, label, fps, frames, started, ended) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (conv_id, share.kind, share.label, share.fps, share.frames, share.started, share.ended),
    )
    return int(cursor.lastrowid)


def shares_of(conn: sqlite3.Connection, conv_id: int) -> list[ShareRecord]:
    rows = conn.execute(
        "SELECT kind, label, fps, frames, started, ended FROM shares WHERE conversation_id = ? ORDER BY started, id", (conv_id,)
    ).fetchall()
    return [ShareRecord(*row) for row in rows]

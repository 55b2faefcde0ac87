"""The history's record of shares (schema v9): a file of the version before gains the table,
a conversation's shares come back in order, and they go with their conversation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rtchat.store import SCHEMA_VERSION, ShareRecord, Store
from rtchat.store.schema import MIGRATIONS


def test_a_file_from_before_shares_gains_the_table_and_keeps_its_chats(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the schema as the version before shares left it
        for statements in MIGRATIONS[:-1]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
        conn.execute("INSERT INTO conversations (id, title, model, created, updated) VALUES (3, 'old', 'm', 1, 1)")
    with Store.open(path) as store:
        assert store.shares(3) == []
        screen = ShareRecord("screen", "screen", 1.0, 14, 100.0, 114.5)
        camera = ShareRecord("camera", "camera", 1.0, 0, 50.0, 51.0)
        store.add_share(3, screen)
        store.add_share(3, camera)
        assert store.shares(3) == [camera, screen], "in the order they began"
        assert [c.title for c in store.list_conversations()] == ["old"]
        store.delete(3)
        assert store.shares(3) == [], "a deleted conversation takes its shares with it"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)

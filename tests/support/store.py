"""Shared by the store tests: a database file as an older rtchat left it, one as `rtchat ask` leaves
it (written in-process), and a check of the search index."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from rtchat import attachments
from rtchat.events import Done, TextDelta
from rtchat.history import TurnRecorder
from rtchat.store import MIGRATIONS, Store
from tests.support.answers import answer_of


def fts_is_consistent(store: Store, index: str = "messages_fts") -> bool:
    """The trigger-maintained index (the messages', or the tool steps' "tool_blocks_fts")
    holds exactly what a fresh rebuild would."""
    conn = store._conn
    columns, content = ("names, arguments, output", "tool_blocks") if index == "tool_blocks_fts" else ("text, thinking_text, transcript", "messages_indexed")
    conn.execute(
        f"CREATE VIRTUAL TABLE check_fts USING fts5({columns},"
        f" content='{content}', content_rowid='id',"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    try:
        conn.execute("INSERT INTO check_fts(check_fts) VALUES ('rebuild')")
        conn.execute(f"CREATE VIRTUAL TABLE temp.live_terms USING fts5vocab(main, {index}, instance)")
        conn.execute("CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab(main, check_fts, instance)")
        live = conn.execute("SELECT term, doc, col, offset FROM live_terms").fetchall()
        fresh = conn.execute("SELECT term, doc, col, offset FROM fresh_terms").fetchall()
        return [tuple(r) for r in live] == [tuple(r) for r in fresh]
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.live_terms")
        conn.execute("DROP TABLE IF EXISTS temp.fresh_terms")
        conn.execute("DROP TABLE check_fts")


def build_old_database(path: Path, version: int) -> None:
    """A file exactly as an older rtchat left it, with data in that schema."""
    connection = sqlite3.connect(path)
    for migration in MIGRATIONS[:version]:
        for statement in migration:
            connection.execute(statement)
    connection.execute(f"PRAGMA user_version = {version}")
    if version >= 1:
        connection.execute(
            "INSERT INTO conversations (id, title, model, protocol, system, created, updated)"
            " VALUES (7, 'Legacy chat', 'old-model', 'sse', 'sys', 1.0, 2.0)"
        )
        connection.execute(
            "INSERT INTO messages (id, conversation_id, seq, role, text, status, created, updated)"
            " VALUES (1, 7, 1, 'user', 'ancient question about volcanoes', 'complete', 1.0, 1.0)"
        )
        connection.execute(
            "INSERT INTO messages (id, conversation_id, seq, role, text, thinking, status, model,"
            " input_tokens, created, updated) VALUES (2, 7, 2, 'assistant', 'Magma rises.',"
            ' \'[{"text": "geology pondering", "signature": "s", "redacted": null, "provider": "p"}]\','
            " 'complete', 'old-model', 5, 2.0, 2.0)"
        )
        connection.execute(
            "INSERT INTO messages (id, conversation_id, seq, role, text, status, created, updated)"
            " VALUES (3, 7, 3, 'assistant', 'cut off mid', 'streaming', 3.0, 3.0)"
        )
    if version >= 2:
        connection.execute("UPDATE messages SET transcript = 'spoken lava words' WHERE id = 2")
    if version >= 3:  # v3 rtchat wrote the plain thinking text beside the JSON, for search
        connection.execute("UPDATE messages SET thinking_text = 'geology pondering' WHERE id = 2")
    connection.commit()
    connection.close()


def stored_conversation(tmp_path: Path, *prompts: str, attach: Sequence[Path] = ()) -> Path:
    """Conversation 1 with a complete echo answer to each prompt (the first with `attach`), as
    `rtchat ask [-a FILE]` then `ask --continue` leave it, written in-process (set-up only: a
    process costs ~0.6 s of CPU)."""
    db = tmp_path / "data" / "history.db"
    warnings: list[str] = []
    recorder = TurnRecorder(Store.open(db), warnings.append)
    recorder.start("loopback/echo", "sse", None)
    for number, prompt in enumerate(prompts):
        recorder.prompt(prompt, [attachments.load(str(path)) for path in attach] if number == 0 else ())
        recorder.begin_answer("loopback/echo", "loopback")
        recorder.update(answer_of(TextDelta(f"You said: {prompt}"), Done("complete")).answer, final=True)
        recorder.end_answer()
    recorder.close()
    assert warnings == []
    return db

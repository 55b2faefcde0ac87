"""The history's schema: numbered migrations recorded in PRAGMA user_version.

Why numbered and append-only: a file written by any older rtchat is upgraded by
replaying exactly the steps it lacks, and a newer file is refused, not damaged.
"""

from __future__ import annotations

import sqlite3

from rtchat.store.connection import write_transaction
from rtchat.store.errors import StoreError
from rtchat.store.location import DATA_DIR_ENV
from rtchat.store.shares import CREATE_SHARES, CREATE_SHARES_INDEX

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
    # v4: what each answer cost (US dollars), where the figure came from, what the cache saved.
    [
        "ALTER TABLE messages ADD COLUMN cost_usd REAL",
        "ALTER TABLE messages ADD COLUMN cost_source TEXT",
        "ALTER TABLE messages ADD COLUMN saved_usd REAL",
        "ALTER TABLE messages ADD COLUMN cache_write_tokens INTEGER",
    ],
    # v5: files sent with a prompt, stored once by content hash however often they are sent.
    [
        """CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            media_type TEXT NOT NULL,
            data BLOB NOT NULL
        )""",
        """CREATE TABLE attachments (
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            PRIMARY KEY (message_id, position)
        )""",
    ],
    # v6: branches. History is a tree: each message points at the one it follows
    # (NULL for a conversation's first prompts), and `on_path` marks the branch the
    # conversation is on (what is shown, sent, listed, searched and exported by
    # default). A regenerated answer or an edited prompt is a sibling: same parent.
    # Every older conversation becomes one linear path, in its `seq` order.
    [
        "ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE",
        "ALTER TABLE messages ADD COLUMN on_path INTEGER NOT NULL DEFAULT 1",
        """UPDATE messages SET parent_id = (
               SELECT p.id FROM messages p
               WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq
               ORDER BY p.seq DESC LIMIT 1)""",
        "CREATE INDEX messages_by_parent ON messages(parent_id)",
    ],
    # v7: a streaming answer's text arrives in chunks (appended each flush, joined into
    # `messages.text` when it ends; see store/chunks.py), so writes grow with the answer,
    # not with its square.
    [
        """CREATE TABLE answer_chunks (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            text TEXT NOT NULL
        )""",
        "CREATE INDEX answer_chunks_by_message ON answer_chunks(message_id, id)",
    ],
    # v8: an answer's tool steps (see store/tool_blocks.py): one row per step, written when a
    # step begins or gets a result, never per text delta; their own search index.
    [
        """CREATE TABLE tool_blocks (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            answered INTEGER NOT NULL,
            body TEXT NOT NULL,
            names TEXT NOT NULL DEFAULT '',
            arguments TEXT NOT NULL DEFAULT '',
            output TEXT NOT NULL DEFAULT '',
            UNIQUE (message_id, position)
        )""",
        """CREATE VIRTUAL TABLE tool_blocks_fts USING fts5(
               names, arguments, output,
               content='tool_blocks', content_rowid='id',
               tokenize='porter unicode61 remove_diacritics 2')""",
        """CREATE TRIGGER tool_blocks_fts_insert AFTER INSERT ON tool_blocks BEGIN
               INSERT INTO tool_blocks_fts(rowid, names, arguments, output)
               VALUES (new.id, new.names, new.arguments, new.output);
           END""",
        """CREATE TRIGGER tool_blocks_fts_delete AFTER DELETE ON tool_blocks BEGIN
               INSERT INTO tool_blocks_fts(tool_blocks_fts, rowid, names, arguments, output)
               VALUES ('delete', old.id, old.names, old.arguments, old.output);
           END""",
        """CREATE TRIGGER tool_blocks_fts_update AFTER UPDATE OF names, arguments, output ON tool_blocks BEGIN
               INSERT INTO tool_blocks_fts(tool_blocks_fts, rowid, names, arguments, output)
               VALUES ('delete', old.id, old.names, old.arguments, old.output);
               INSERT INTO tool_blocks_fts(rowid, names, arguments, output)
               VALUES (new.id, new.names, new.arguments, new.output);
           END""",
    ],
    # v9: what was shared with the model (screen, camera, video file) and how many frames went
    # (see store/shares.py); the frames sent as a turn's image are that prompt's attachments.
    [CREATE_SHARES, CREATE_SHARES_INDEX],
]
SCHEMA_VERSION = len(MIGRATIONS)

def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Bring the file up to SCHEMA_VERSION, one committed step at a time."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The chat history at {path} was written by a newer rtchat "
            f"(schema {version}, this one knows {SCHEMA_VERSION}). Upgrade rtchat, "
            f"or point {DATA_DIR_ENV} at another folder.",
            path=path,
            problem="version",
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with write_transaction(conn, path, "upgrade"):
            # Re-read under the write lock: another rtchat may have migrated meanwhile.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
                continue
            for statement in MIGRATIONS[target - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")

"""Finding things in the history: full-text search (FTS5) and the title filter.

User words never reach FTS5 as syntax: each becomes a quoted term, so any string
a person types is safe to search for.
"""

from __future__ import annotations

import re
import sqlite3

from rtchat.store.records import SearchHit, record_from_row

_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")


def fts_query(words: str) -> str:
    """User words as an FTS5 query that matches all of them: every word is a quoted
    string, so `"`, `*`, `NEAR(`, `-`, `:` and the like are text, never syntax.
    Control characters go too: FTS5 reads NUL as the end of the query."""
    words = _CONTROL_CHARS.sub(" ", words)
    terms = [w for w in words.split() if any(ch.isalnum() for ch in w)]
    return " ".join('"' + w.replace('"', '""') + '"' for w in terms)


def casefold_contains(haystack: str | None, needle: str) -> bool:
    """SQL function `rtchat_contains`: SQLite's LIKE folds ASCII only, titles are any script."""
    return haystack is not None and needle in haystack.casefold()


def install_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("rtchat_contains", 2, casefold_contains, deterministic=True)


_SEARCH_SQL = (
    "SELECT m.conversation_id, c.title, h.id AS message_id, m.role, h.snippet, m.created FROM ("
    "  SELECT rowid AS id, snippet(messages_fts, -1, ?, ?, '…', 12) AS snippet"
    "  FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    ") h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id"
    " ORDER BY h.id DESC"
)


def search(conn: sqlite3.Connection, words: str, limit: int, mark: tuple[str, str]) -> list[SearchHit]:
    """Messages containing all the words (stemmed), newest first, with a marked snippet."""
    query = fts_query(words)
    if not query:
        return []
    rows = conn.execute(_SEARCH_SQL, (mark[0], mark[1], query, limit)).fetchall()
    return [record_from_row(SearchHit, row) for row in rows]

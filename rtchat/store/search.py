"""Finding things in the history: full-text search (FTS5) and the title filter.

User words never reach FTS5 as syntax: each becomes a quoted term, so any string
a person types is safe to search for.
"""

from __future__ import annotations

import itertools
import re
import sqlite3

from rtchat.store import tool_blocks
from rtchat.store.records import SearchHit, one_line

_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")


def fts_query(words: str) -> str:
    """User words as an FTS5 query that matches all of them: every word is a quoted
    string, so `"`, `*`, `NEAR(`, `-`, `:` and the like are text, never syntax.
    Each is also a prefix (`"typi"*` finds "typing"), as people search while typing.
    Control characters go too: FTS5 reads NUL as the end of the query."""
    words = _CONTROL_CHARS.sub(" ", words)
    terms = [w for w in words.split() if any(ch.isalnum() for ch in w)]
    return " ".join('"' + w.replace('"', '""') + '"*' for w in terms)


def casefold_contains(haystack: str | None, needle: str) -> bool:
    """SQL function `rtchat_contains`: SQLite's LIKE folds ASCII only, titles are any script."""
    return haystack is not None and needle in haystack.casefold()


def install_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("rtchat_contains", 2, casefold_contains, deterministic=True)


_SEARCH_SQL = (
    "SELECT m.conversation_id, c.title, h.id AS message_id, m.role, h.snippet, m.created, m.on_path FROM ("
    "  SELECT rowid AS id, snippet(messages_fts, -1, ?, ?, '…', 12) AS snippet"
    "  FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    ") h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id"
    " ORDER BY h.id DESC"
)


# Tool steps have their own index (store/tool_blocks.py). `in_output`: every word is in the
# results (FTS5's column filter), so the hit says "tool result"; otherwise "tool call".
_TOOL_SEARCH_SQL = (
    "SELECT m.conversation_id, c.title, m.id, m.role, h.snippet, m.created, m.on_path, h.names,"
    "  h.id IN (SELECT rowid FROM tool_blocks_fts WHERE tool_blocks_fts MATCH ?) AS in_output FROM ("
    "  SELECT rowid AS id, snippet(tool_blocks_fts, -1, ?, ?, '…', 12) AS snippet, names"
    "  FROM tool_blocks_fts WHERE tool_blocks_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    ") h JOIN tool_blocks t ON t.id = h.id JOIN messages m ON m.id = t.message_id"
    " JOIN conversations c ON c.id = m.conversation_id ORDER BY h.id DESC"
)


_PARTIAL_SQL = (
    "SELECT m.conversation_id, c.title, m.id, m.role,"
    " coalesce(nullif(m.text, ''), m.transcript, ''), m.created, m.on_path"
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " WHERE m.status != 'streaming' AND {where} ORDER BY m.id DESC LIMIT ?"
)
_TOOL_PARTIAL_SQL = (
    "SELECT m.conversation_id, c.title, m.id, m.role, t.names, t.arguments, t.output, m.created, m.on_path"
    " FROM tool_blocks t JOIN messages m ON m.id = t.message_id JOIN conversations c ON c.id = m.conversation_id"
    " WHERE {where} ORDER BY m.id DESC, t.position DESC LIMIT ?"
)
SNIPPET_CHARS = 60


def search(conn: sqlite3.Connection, words: str, limit: int, mark: tuple[str, str]) -> list[SearchHit]:
    """Messages of every branch containing all the words (stemmed, as prefixes), newest
    first, with a marked snippet (`on_path` False for a hit off its conversation's current
    branch); when none do, messages containing them as parts of words ("typi" in "typing",
    which the stemmer indexed as "type")."""
    query = fts_query(words)
    if not query:
        return []
    rows = conn.execute(_SEARCH_SQL, (mark[0], mark[1], query, limit)).fetchall()
    hits = [SearchHit(*row[:6], bool(row[6])) for row in rows]
    hits = _with_tool_hits(hits, _tool_hits(conn, query, limit, mark), limit)
    return hits or _partial(conn, words, limit, mark)


def _tool_hits(conn: sqlite3.Connection, query: str, limit: int, mark: tuple[str, str]) -> list[SearchHit]:
    """Messages whose tool calls or results hold all the words, one hit per message (its newest
    step), the snippet saying which tool and where: "tool time_now result: …"."""
    hits: dict[int, SearchHit] = {}
    if not tool_blocks.present(conn):  # an older file opened read-only
        return []
    rows = conn.execute(_TOOL_SEARCH_SQL, (f"output : ({query})", mark[0], mark[1], query, limit)).fetchall()
    for conversation_id, title, message_id, role, snippet, created, on_path, names, in_output in rows:
        if message_id in hits:
            continue
        where = "result" if in_output else "call"
        label = f"tool {one_line(names)} {where}" if names.strip() else f"tool {where}"
        hits[message_id] = SearchHit(conversation_id, title, message_id, role, f"{label}: {snippet}", created, bool(on_path), where)
    return list(hits.values())


def _with_tool_hits(hits: list[SearchHit], tool_hits: list[SearchHit], limit: int) -> list[SearchHit]:
    """Both kinds, newest message first; a message found by its own words is listed once, as that."""
    found = {hit.message_id for hit in hits}
    merged = hits + [hit for hit in tool_hits if hit.message_id not in found]
    return sorted(merged, key=lambda hit: hit.message_id, reverse=True)[:limit]


def _partial(conn: sqlite3.Connection, words: str, limit: int, mark: tuple[str, str]) -> list[SearchHit]:
    terms = [w.casefold() for w in _CONTROL_CHARS.sub(" ", words).split() if any(ch.isalnum() for ch in w)]
    wheres, params = zip(*(_contains(term, ("m.text", "m.transcript")) for term in terms))
    rows = conn.execute(_PARTIAL_SQL.format(where=" AND ".join(wheres)), (*itertools.chain(*params), limit)).fetchall()
    hits = []
    for conversation_id, title, message_id, role, text, created, on_path in rows:
        hits.append(SearchHit(conversation_id, title, message_id, role, _marked(text, terms[0], mark), created, bool(on_path)))
    return _with_tool_hits(hits, _tool_partial(conn, terms, limit, mark), limit)


def _tool_partial(conn: sqlite3.Connection, terms: list[str], limit: int, mark: tuple[str, str]) -> list[SearchHit]:
    """`_partial` for tool steps: calls and results containing every term as part of a word."""
    if not tool_blocks.present(conn):
        return []
    wheres, params = zip(*(_contains(term, ("t.arguments", "t.output")) for term in terms))
    rows = conn.execute(_TOOL_PARTIAL_SQL.format(where=" AND ".join(wheres)), (*itertools.chain(*params), limit)).fetchall()
    hits: dict[int, SearchHit] = {}
    for conversation_id, title, message_id, role, names, arguments, output, created, on_path in rows:
        if message_id in hits:
            continue
        where, text = ("result", output) if terms[0] in output.casefold() else ("call", arguments)
        label = f"tool {one_line(names)} {where}" if names.strip() else f"tool {where}"
        hits[message_id] = SearchHit(conversation_id, title, message_id, role, f"{label}: {_marked(text, terms[0], mark)}", created, bool(on_path), where)
    return list(hits.values())


def _contains(term: str, columns: tuple[str, str]) -> tuple[str, tuple[str, ...]]:
    """SQL that is true when either column (a message's text or transcript, a tool step's
    arguments or output) contains `term`, ignoring case.

    An ASCII term uses SQLite's own LIKE (which folds ASCII case) and scans a 40,000-message
    history in ~60 ms; any other term needs Python's casefold, about three times slower."""
    first, second = columns
    if term.isascii():
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return f"({first} LIKE ? ESCAPE '\\' OR {second} LIKE ? ESCAPE '\\')", (pattern, pattern)
    return f"rtchat_contains(coalesce({first}, '') || ' ' || coalesce({second}, ''), ?)", (term,)


def _marked(text: str, term: str, mark: tuple[str, str]) -> str:
    """A short stretch of `text` around the first `term`, marked as FTS5's snippet() marks."""
    at = text.casefold().find(term)
    if at < 0:
        return text[:SNIPPET_CHARS]
    start = max(0, at - SNIPPET_CHARS // 2)
    end = at + len(term)
    prefix = "…" if start else ""
    suffix = "…" if end + SNIPPET_CHARS // 2 < len(text) else ""
    return f"{prefix}{text[start:at]}{mark[0]}{text[at:end]}{mark[1]}{text[end:end + SNIPPET_CHARS // 2]}{suffix}"

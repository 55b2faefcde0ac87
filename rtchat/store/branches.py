"""The conversation tree in SQL: which branch a conversation is on, and moving it.

Why `on_path` flags rather than walking from a stored leaf every time: the
list, search, `to_conversation` and export all read "the current branch" with a
plain `WHERE on_path`, and only a branch change (rare, one per regenerate,
edit or flip) pays for a walk. Both live in one transaction, so they agree.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

# Where a new message goes: after the current leaf (the usual next turn), after a
# given message (a regenerated answer's prompt, an edited prompt's parent), or
# None: a new first prompt (editing the opening prompt).
Parent = int | None | Literal["leaf"]
LEAF: Literal["leaf"] = "leaf"

_PATH_SQL = """
WITH RECURSIVE path(id) AS (
    SELECT ? UNION
    SELECT m.parent_id FROM messages m JOIN path ON m.id = path.id WHERE m.parent_id IS NOT NULL
)
UPDATE messages SET on_path = (id IN (SELECT id FROM path)) WHERE conversation_id = ?
"""


def leaf(conn: sqlite3.Connection, conv_id: int) -> int | None:
    """The last message of the current branch (None for an empty conversation)."""
    row = conn.execute(
        "SELECT id FROM messages WHERE conversation_id = ? AND on_path ORDER BY seq DESC LIMIT 1", (conv_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def resolve_parent(conn: sqlite3.Connection, conv_id: int, parent: Parent) -> int | None:
    """The id a new message will follow; a given one must belong to the conversation."""
    if parent == LEAF:
        return leaf(conn, conv_id)
    if parent is not None:
        owner = conn.execute("SELECT conversation_id FROM messages WHERE id = ?", (parent,)).fetchone()
        if owner is None or owner[0] != conv_id:
            raise KeyError(f"no message {parent} in conversation {conv_id}")
    return parent


def follows_leaf(conn: sqlite3.Connection, conv_id: int, parent_id: int | None) -> bool:
    """Whether a message after `parent_id` simply extends the current branch (no flags change)."""
    return parent_id == leaf(conn, conv_id)


def set_path(conn: sqlite3.Connection, conv_id: int, new_leaf: int) -> None:
    """Make the branch ending at `new_leaf` the current one. (UNION, not UNION ALL: in a
    damaged file whose parent_ids form a cycle, the walk stops at the first repeat.)"""
    conn.execute(_PATH_SQL, (new_leaf, conv_id))


def newest_leaf_under(conn: sqlite3.Connection, message_id: int) -> int:
    """Going down from a message, always into its newest child: where a flip to it lands."""
    current, seen = message_id, {message_id}
    while True:
        row = conn.execute(
            "SELECT id FROM messages WHERE parent_id = ? ORDER BY seq DESC LIMIT 1", (current,)
        ).fetchone()
        if row is None or int(row[0]) in seen:  # the end, or a damaged file's cycle
            return current
        current = int(row[0])
        seen.add(current)


def sibling_groups(conn: sqlite3.Connection, conv_id: int) -> dict[int | None, list[int]]:
    """Every message id grouped by its parent, oldest first: a group of two or more is a fork."""
    groups: dict[int | None, list[int]] = {}
    for message_id, parent_id in conn.execute(
        "SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY seq", (conv_id,)
    ):
        groups.setdefault(parent_id, []).append(message_id)
    return groups


def siblings(conn: sqlite3.Connection, message_id: int) -> list[int]:
    """The ids sharing `message_id`'s parent (itself included), oldest first."""
    return [
        int(row[0])
        for row in conn.execute(
            "SELECT s.id FROM messages m JOIN messages s ON s.conversation_id = m.conversation_id"
            " AND s.parent_id IS m.parent_id WHERE m.id = ? ORDER BY s.seq",
            (message_id,),
        )
    ]

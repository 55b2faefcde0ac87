"""A real history file with many conversations, bulk-inserted (the app would take hours to type it).

Each conversation is a prompt, an answer, a prompt and an answer on its current branch; every
`branch_every`-th also holds an older answer off the branch (a regenerated one). The word
`PLANTED` is in every `plant_every`-th message and every off-branch one, so a search knows what it must find.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from rtchat.store import Store

PLANTED = "pelicans"
FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()


@dataclass
class BigHistory:
    path: Path
    conversations: int
    messages: int = 0
    planted_on_path: list[int] = field(default_factory=list)  # message ids, oldest first
    planted_off_path: list[int] = field(default_factory=list)


def build_big_history(path: Path, conversations: int = 10_000, plant_every: int = 1000, branch_every: int = 500) -> BigHistory:
    Store.open(path).close()  # the schema, as rtchat makes it
    made = BigHistory(path, conversations)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    message_id = 0
    conversation_rows, message_rows = [], []
    for conv in range(1, conversations + 1):
        conversation_rows.append((conv, f"chat number {conv}", "loopback/echo", 1_700_000_000.0 + conv))
        parent = None
        roles = ["user", "assistant", "user", "assistant"]
        off_branch = conv % branch_every == 0
        for seq, role in enumerate(roles + (["assistant"] if off_branch else []), start=1):
            message_id += 1
            words = " ".join(FILLER[(message_id + k) % len(FILLER)] for k in range(12))
            on_path = not (off_branch and seq == 4)  # the 4th is the older answer, the 5th the current one
            planted = message_id % plant_every == 0 or not on_path
            text = f"{words} {PLANTED if planted else 'puffins'} {message_id}"
            this_parent = parent if seq < 5 else message_rows[-2][0]  # the 5th answers the 3rd message
            message_rows.append((message_id, conv, seq, this_parent, role, text, int(on_path), 1_700_000_000.0 + message_id))
            if planted:
                (made.planted_on_path if on_path else made.planted_off_path).append(message_id)
            parent = message_id
        made.messages = message_id
    conn.executemany(
        "INSERT INTO conversations (id, title, model, created, updated) VALUES (?, ?, ?, ?, ?4)", conversation_rows
    )
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, seq, parent_id, role, text, on_path, status, created, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'complete', ?, ?8)",
        message_rows,
    )
    conn.execute("COMMIT")
    conn.close()
    return made

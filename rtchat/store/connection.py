"""Opening a configured connection to the history file, and one transaction on it.

Every sqlite3/OS failure leaves here as a `StoreError` that names the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rtchat.store.errors import explain

BUSY_TIMEOUT_S = 2.0


def connect(path: str, busy_timeout: float, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode with the busy timeout set; closed again if configuring fails."""
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=check_same_thread
        )
    except (sqlite3.Error, OSError) as exc:
        raise explain(exc, path, "open") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")  # also the first read: fails fast on a non-database
        # NORMAL in WAL: a commit survives the app crashing or being killed; only a power
        # cut can lose the last few commits. Keeps each flush far under a millisecond.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except (sqlite3.Error, OSError) as exc:
        conn.close()
        raise explain(exc, path, "open") from exc
    return conn


def connect_read_only(path: str) -> sqlite3.Connection:
    """A connection that never writes: for reading a history in a folder rtchat cannot write
    (read-only or full). `immutable` is the fallback when WAL's -shm file cannot be created:
    nobody can be writing a file in such a folder."""
    uri = Path(path).resolve().as_uri()
    last: Exception | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            last = exc
            continue
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except (sqlite3.Error, OSError) as exc:
            conn.close()
            last = exc
    raise explain(last or OSError("cannot open"), path, "read") from last


@contextmanager
def write_transaction(conn: sqlite3.Connection, path: str, doing: str = "save to") -> Iterator[sqlite3.Connection]:
    """One committed write transaction; any failure rolls back and becomes a StoreError."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        if isinstance(exc, (sqlite3.Error, OSError)):
            raise explain(exc, path, doing) from exc
        raise


@contextmanager
def read_snapshot(conn: sqlite3.Connection, path: str) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot for multi-statement reads."""
    try:
        conn.execute("BEGIN")
        yield conn
    except (sqlite3.Error, OSError) as exc:
        raise explain(exc, path, "read") from exc
    finally:
        if conn.in_transaction:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error:
                pass


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the file has table `name`: one opened read-only is not upgraded, so a file an
    older rtchat wrote may lack a later schema's tables (read as empty)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None

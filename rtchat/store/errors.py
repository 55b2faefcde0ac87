"""Every SQLite or OS failure of the history becomes one `StoreError` a person can act on."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from rtchat.errors import StorageFailure
from rtchat.store.location import DATA_DIR_ENV

PROBLEMS = ("full", "locked", "corrupt", "unwritable", "version", "other")


class StoreError(StorageFailure):
    """A history problem explained for a human: what happened to which file, and what to do.

    `problem` is one of PROBLEMS (not `kind`: that is the error-tree kind, always storage).
    """

    def __init__(self, message: str, *, path: str, problem: str = "other") -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _no_space_left(path: str | None) -> bool:
    """SQLite says only "disk I/O error" when a full disk stops its -shm or -wal file."""
    folder = Path(path).parent if path else None
    while folder is not None and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return folder is not None and os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


def classify(exc: BaseException, path: str | None = None) -> str:
    text = str(exc).lower()
    if "full" in text or "no space left" in text or getattr(exc, "errno", None) in NO_SPACE:
        return "full"
    if "i/o error" in text and _no_space_left(path):
        return "full"
    if "locked" in text or "busy" in text:
        return "locked"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "corrupt"
    if isinstance(exc, OSError) or any(
        word in text for word in ("readonly", "read-only", "unable to open", "permission", "i/o error")
    ):
        return "unwritable"
    return "other"


def explain(exc: BaseException, path: str, doing: str) -> StoreError:
    """Turn an sqlite3/OS error into a StoreError a user can act on."""
    problem = classify(exc, path)
    if problem == "full":
        message = (
            f"Could not {doing} the chat history at {path}: the disk is full. "
            "Free some space; the current chat goes on, but it is not being saved."
        )
    elif problem == "locked":
        message = (
            f"Could not {doing} the chat history at {path}: another program is holding it locked "
            "(another rtchat, or a tool with the file open). Close it and try again."
        )
    elif problem == "corrupt":
        message = (
            f"The chat history at {path} is damaged and cannot be read ({exc}). "
            f"Move it aside (for example rename it to {Path(path).name}.broken) and rtchat "
            "will start a new, empty history."
        )
    elif problem == "unwritable":
        message = (
            f"Could not {doing} the chat history at {path}: the file or its folder is not "
            f"writable ({exc}). Check the permissions, or point {DATA_DIR_ENV} at a writable folder."
        )
    else:
        message = f"Could not {doing} the chat history at {path}: {exc}."
    error = StoreError(message, path=path, problem=problem)
    error.__cause__ = exc
    return error

"""Files only their owner may read: the history holds every prompt and answer, a wire log
every request. Created 0600 in folders created 0700; ones made earlier are tightened.

Why "tighten" only removes bits, and only on what rtchat made: a history pointed at a
shared folder (`/tmp/x.db`) must not turn that folder private for everyone else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def tighten(path: Path, mode: int) -> None:
    """Remove every permission bit of `path` outside `mode`, if it exists and this user owns it."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    current = stat.S_IMODE(status.st_mode)
    if status.st_uid == os.getuid() and current & ~mode:
        os.chmod(path, current & mode)


def private_folder(folder: Path) -> None:
    """rtchat's own folder (data, logs): made 0700, tightened to 0700 if it exists."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    tighten(folder, FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists; tighten it to 0600 if it does."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        tighten(path, FILE_MODE)

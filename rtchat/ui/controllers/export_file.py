"""`/export`: the current conversation, as stored, to a Markdown (or JSON) file."""

from __future__ import annotations

import os
from pathlib import Path

from rtchat.export import dump_json, export_json, export_markdown
from rtchat.store import Store, StoreError


def export_path(conversation_id: int, typed: str = "", folder: Path | None = None) -> Path | str:
    """Where `/export` writes, or the one line why not (the file exists: never overwritten).

    No PATH writes `rtchat-ID.md` in the current folder; a folder gets that name
    inside it; a name ending in `.json` gets the JSON export."""
    folder = folder or Path.cwd()
    default = f"rtchat-{conversation_id}.md"
    path = Path(os.path.expanduser(typed.strip())) if typed.strip() else folder / default
    if not path.is_absolute():
        path = folder / path
    if path.is_dir():
        path = path / default
    if path.exists():
        return f"{path} exists; give /export another PATH"
    return path


def write_export(store: Store, conversation_id: int, path: Path) -> tuple[Path | None, str]:
    """(the file written, what to tell the user); (None, why not) when nothing was written.
    Reads SQLite and writes the file: call it on a thread."""
    try:
        record, messages = store.load_conversation(conversation_id)
    except (StoreError, KeyError) as exc:
        return None, f"cannot read the conversation: {exc}"
    text = dump_json(export_json(record, messages)) if path.suffix == ".json" else export_markdown(record, messages)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        return None, f"cannot write {path}: {exc.strerror or exc}"
    return path, f"exported to {path}"

"""`rtchat history` (list or search) and `rtchat export` (Markdown or JSON; the current branch, or every one)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rtchat.commands.common import SQLITE_MAX_INT, fail, stored_id
from rtchat.export import dump_json, export_json, export_markdown
from rtchat.pricing import format_total
from rtchat.sanitize import strict_json, terminal_safe
from rtchat.store import Store, StoreError


def _open_store():
    """The history to read; read-only when its folder cannot be written (read-only or full)."""
    try:
        return Store.open()
    except StoreError as exc:
        if exc.problem not in ("unwritable", "full"):
            fail(str(exc))
            return None
        try:
            store = Store.open_read_only()
        except StoreError:
            fail(str(exc))
            return None
        print(f"rtchat: reading the history read-only ({exc.problem}: {exc.path})", file=sys.stderr)
        return store


def _one_line(text: str | None) -> str:
    """One row per hit: newlines and runs of spaces become one space."""
    return " ".join(terminal_safe(text or "").split())


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def run_history(args) -> int:
    args.limit = min(args.limit, SQLITE_MAX_INT)  # a larger LIMIT means "all" to a person, OverflowError to SQLite
    store = _open_store()
    if store is None:
        return 2
    try:
        if args.search:
            hits = store.search(" ".join(args.search), limit=args.limit)
            if args.json:
                print(strict_json([{"conversation_id": h.conversation_id, "title": h.title, "message_id": h.message_id, "role": h.role, "snippet": h.snippet, "created": h.created, "on_path": h.on_path} for h in hits], indent=2))
            if args.json:
                return 0
            if not hits:
                print(f"rtchat: no message matches {' '.join(args.search)!r}", file=sys.stderr)
                return 0
            for hit in hits:
                print(f"{hit.conversation_id:>6}  {_when(hit.created)}  {_one_line(hit.title)[:32]:32}  {hit.role:9}  {_one_line(hit.snippet)}{'' if hit.on_path else '  (another branch)'}")
            return 0
        rows = store.list_conversations(limit=args.limit)
        if args.json:
            print(strict_json([{"id": r.id, "title": r.title, "model": r.model, "protocol": r.protocol, "created": r.created, "updated": r.updated, "messages": r.message_count, "cost_usd": r.cost_usd, "cost_unknown_answers": r.unpriced, "branches": r.branches} for r in rows], indent=2))
            return 0
        for row in rows:
            cost = format_total(row.cost_usd, row.unpriced)
            branches = f"  ({row.branches} branches)" if row.branches > 1 else ""
            print(f"{row.id:>6}  {_when(row.updated)}  {row.message_count:>4} msgs  {cost:>8}  {terminal_safe(row.model):28}  {_one_line(row.title)}{branches}")
        return 0
    finally:
        store.close()


def run_export(args) -> int:
    store = _open_store()
    if store is None:
        return 2
    try:
        if args.id == "last":
            conv_id = store.last_conversation_id()
            if conv_id is None:
                return fail("there is no conversation to export yet", 1)
        else:
            try:
                conv_id = int(args.id)
            except ValueError:
                return fail(f"export takes a conversation id (see `rtchat history`) or 'last', not {args.id!r}")
        try:
            if stored_id(conv_id) is None:
                raise KeyError(conv_id)
            record, messages = store.load_conversation(conv_id, all_branches=args.all_branches)
        except KeyError:
            return fail(f"no conversation {conv_id} (see `rtchat history`)", 1)
        text = export_markdown(record, messages) if args.format == "md" else dump_json(export_json(record, messages))
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    finally:
        store.close()

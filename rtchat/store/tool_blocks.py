"""An answer's tool steps in the history: one `tool_blocks` row per step, keyed by message and position.

Why a table of its own, not a JSON column on the answer's row: the answer's row is updated
every flush while it streams (status, usage, metrics), and SQLite rewrites a row's record when
it changes size, so a big tool result in that row is written again and again (measured by
benchmarks/bench_history_tools.py: an answer with a 1 MB result and 500 flushed text deltas
writes 23-31 MB with the megabyte in the answer's row, 13.1 MB with it here, 8.8 MB with a
10-byte result). In its own row a step is written only when it changes, and a step changes
at step boundaries only: when its calls are known and as each of its results arrives (once
per call that appears, once per result; the text streamed around it never rewrites it). Its
search index is its own too, and indexes a step at once (the answer's waits for its end).

Each row holds the step whole as JSON (`body`: thinking with signatures, text, the calls
with their arguments exactly as the model sent them and their provider extras, the results
with the images that went to the model),
so a reopened conversation resends it byte for byte; and the call names, arguments and
outputs as plain text for its own search index (`tool_blocks_fts`), which says a hit was in
a tool result or call.

The open step of an answer that ended before its calls were answered (the user stopped the
turn) is the last row, `answered` 0: its calls only (its thinking and text are the answer's
own). While the answer streams that row is written when a call appears, with the arguments
so far, and again when its calls are about to run (`AnswerWriter.update(step=True)`: the
arguments are whole then) and when the answer ends.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

from rtchat.attachments import Attachment
from rtchat.conversation import ThinkingBlock, ToolCall, ToolResult, ToolRound
from rtchat.store.connection import has_table

# What `Saved.tools` keeps per row: enough to tell the step changed without comparing its text.
Fingerprint = tuple[Any, ...]


def fingerprints(rounds: Sequence[ToolRound], open_calls: Sequence[ToolCall], whole: bool) -> tuple[Fingerprint, ...]:
    """One fingerprint per row the answer needs. A closed step only ever gains results, so its
    call and result counts tell it changed. The open step's calls are told by id and name while
    their arguments may still grow (not rewritten per delta), and by everything once `whole`
    (a call is about to run, or the answer ended)."""
    prints: list[Fingerprint] = [("round", len(step.calls), len(step.results)) for step in rounds]
    if open_calls:
        names = tuple((c.id, c.name) for c in open_calls)
        calls = tuple((c.arguments, tuple(sorted(c.extra.items())), c.provider) for c in open_calls) if whole else None
        prints.append(("open", names, calls))
    return tuple(prints)


def _unchanged(saved: Fingerprint, wanted: Fingerprint) -> bool:
    """Whether the row written as `saved` still stands for `wanted` (open calls told by id and
    name only are unchanged when those are, whatever arguments were written whole before)."""
    return saved == wanted or (wanted[0] == saved[0] == "open" and wanted[2] is None and wanted[1] == saved[1])


def save(
    conn: sqlite3.Connection,
    message_id: int,
    rounds: Sequence[ToolRound],
    open_calls: Sequence[ToolCall],
    wanted: tuple[Fingerprint, ...],
    saved: tuple[Fingerprint, ...],
) -> tuple[Fingerprint, ...]:
    """Write the rows whose fingerprint changed since `saved`, drop rows the answer no longer
    has; returns the fingerprints of what is now in the file."""
    steps: list[tuple[bool, ToolRound]] = [(True, step) for step in rounds]
    if open_calls:
        steps.append((False, ToolRound(calls=list(open_calls))))
    written: list[Fingerprint] = []
    for position, ((answered, step), mark) in enumerate(zip(steps, wanted)):
        if position < len(saved) and _unchanged(saved[position], mark):
            written.append(saved[position])
            continue
        conn.execute(
            "INSERT INTO tool_blocks (message_id, position, answered, body, names, arguments, output)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, position) DO UPDATE SET"
            " answered = excluded.answered, body = excluded.body, names = excluded.names,"
            " arguments = excluded.arguments, output = excluded.output",
            (message_id, position, *_row(step, answered)),
        )
        written.append(mark)
    if len(saved) > len(wanted):
        conn.execute("DELETE FROM tool_blocks WHERE message_id = ? AND position >= ?", (message_id, len(wanted)))
    return tuple(written)


def present(conn: sqlite3.Connection) -> bool:
    """Whether the file can hold tool steps (one an older rtchat wrote, opened read-only, cannot)."""
    return has_table(conn, "tool_blocks")


def load(conn: sqlite3.Connection, conversation_id: int) -> dict[int, tuple[list[ToolRound], list[ToolCall]]]:
    """The tool steps and open calls of each of a conversation's messages that has any."""
    found: dict[int, tuple[list[ToolRound], list[ToolCall]]] = {}
    if not present(conn):
        return found
    for message_id, answered, body in conn.execute(
        "SELECT t.message_id, t.answered, t.body FROM tool_blocks t JOIN messages m ON m.id = t.message_id"
        " WHERE m.conversation_id = ? ORDER BY t.message_id, t.position",
        (conversation_id,),
    ):
        rounds, open_calls = found.setdefault(message_id, ([], []))
        step = round_from_dict(json.loads(body))
        if answered:
            rounds.append(step)
        else:
            open_calls.extend(step.calls)
    return found


def round_json(step: ToolRound) -> dict[str, Any]:
    """A step as JSON data (the history's `body`, the JSON export's `rounds`): a result's images
    as base64 (a tool's images are few and small next to what a step's row already holds)."""
    data = asdict(step)
    for result, shown in zip(step.results, data["results"]):
        shown["images"] = [{"name": a.name, "media_type": a.media_type, "data_base64": a.base64()} for a in result.images]
    return data


def _result_from_dict(data: dict[str, Any]) -> ToolResult:
    result = ToolResult(**_known(ToolResult, data))
    result.images = [Attachment(a["name"], a["media_type"], base64.b64decode(a["data_base64"])) for a in data.get("images") or []]
    return result


def _row(step: ToolRound, answered: bool) -> tuple[int, str, str, str, str]:
    data = round_json(step)
    body = json.dumps(data, ensure_ascii=False)
    if not _encodable(body):  # a lone surrogate from a hostile stream: escaped, still exact
        body = json.dumps(data)
    names = ", ".join(dict.fromkeys(call.name for call in step.calls))
    arguments = "\n".join(call.arguments for call in step.calls)
    output = "\n".join(result.output for result in step.results)
    return int(answered), body, *(_searchable(text) for text in (names, arguments, output))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _searchable(text: str) -> str:
    return text if _encodable(text) else text.encode("utf-8", "replace").decode("utf-8")


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def round_from_dict(data: dict[str, Any]) -> ToolRound:
    """A step from its JSON form (the history's `body`, the JSON export's `rounds`)."""
    return ToolRound(
        thinking=[ThinkingBlock(**_known(ThinkingBlock, block)) for block in data.get("thinking") or []],
        text=data.get("text") or "",
        calls=[call_from_dict(call) for call in data.get("calls") or []],
        results=[_result_from_dict(result) for result in data.get("results") or []],
    )


def call_from_dict(data: dict[str, Any]) -> ToolCall:
    call = ToolCall(**_known(ToolCall, data))
    call.extra = dict(call.extra or {})
    return call

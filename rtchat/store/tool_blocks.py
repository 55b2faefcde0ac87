"""An answer's tool steps in the history: one `tool_blocks` row per step, keyed by message and position.

Why a table of its own, not a JSON column on the answer's row: SQLite rewrites a whole row
on any UPDATE, and the answer's row is updated every flush while it streams (status, usage,
metrics). A 10 MB tool result in that row would be rewritten every half second. In its own
row a step is written only when it changes, and a step changes at step boundaries only: it
is written when its calls are known and again as each of its results arrives (a step with
k parallel calls is written k+1 times, the text streamed around it never rewrites it).

Each row holds the step whole as JSON (`body`: thinking with signatures, text, the calls
with their arguments exactly as the model sent them and their provider extras, the results),
so a reopened conversation resends it byte for byte; and the call names, arguments and
outputs as plain text for its own search index (`tool_blocks_fts`), which says a hit was in
a tool result or call.

The open step of an answer that ended before its calls were answered (the user stopped the
turn) is the last row, `answered` 0: its calls only (its thinking and text are the answer's
own). While the answer streams that row is written when a call appears, with the arguments
so far; the final write has them whole.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

from rtchat.conversation import ThinkingBlock, ToolCall, ToolResult, ToolRound

# What `Saved.tools` keeps per row: enough to tell the step changed without comparing its text.
Fingerprint = tuple[Any, ...]


def fingerprints(rounds: Sequence[ToolRound], open_calls: Sequence[ToolCall], final: bool) -> tuple[Fingerprint, ...]:
    """One fingerprint per row the answer needs. A closed step only ever gains results, so its
    call and result counts tell it changed; the open step's calls while streaming by id and
    name (their arguments still growing are not rewritten per delta), whole when final."""
    prints: list[Fingerprint] = [("round", len(step.calls), len(step.results)) for step in rounds]
    if open_calls:
        if final:
            prints.append(("open", tuple((c.id, c.name, c.arguments, tuple(sorted(c.extra.items())), c.provider) for c in open_calls)))
        else:
            prints.append(("open", tuple((c.id, c.name) for c in open_calls)))
    return tuple(prints)


def save(
    conn: sqlite3.Connection,
    message_id: int,
    rounds: Sequence[ToolRound],
    open_calls: Sequence[ToolCall],
    wanted: tuple[Fingerprint, ...],
    saved: tuple[Fingerprint, ...],
) -> None:
    """Write the rows whose fingerprint changed since `saved`, and drop rows the answer no longer has."""
    steps: list[tuple[bool, ToolRound]] = [(True, step) for step in rounds]
    if open_calls:
        steps.append((False, ToolRound(calls=list(open_calls))))
    for position, ((answered, step), mark) in enumerate(zip(steps, wanted)):
        if position < len(saved) and saved[position] == mark:
            continue
        row = _row(step, answered)
        conn.execute(
            "INSERT INTO tool_blocks (message_id, position, answered, body, names, arguments, output)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, position) DO UPDATE SET"
            " answered = excluded.answered, body = excluded.body, names = excluded.names,"
            " arguments = excluded.arguments, output = excluded.output",
            (message_id, position, *row),
        )
    if len(saved) > len(wanted):
        conn.execute("DELETE FROM tool_blocks WHERE message_id = ? AND position >= ?", (message_id, len(wanted)))


def load(conn: sqlite3.Connection, conversation_id: int) -> dict[int, tuple[list[ToolRound], list[ToolCall]]]:
    """The tool steps and open calls of each of a conversation's messages that has any."""
    found: dict[int, tuple[list[ToolRound], list[ToolCall]]] = {}
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


def _row(step: ToolRound, answered: bool) -> tuple[int, str, str, str, str]:
    body = json.dumps(asdict(step), ensure_ascii=False)
    if not _encodable(body):  # a lone surrogate from a hostile stream: escaped, still exact
        body = json.dumps(asdict(step))
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
        results=[ToolResult(**_known(ToolResult, result)) for result in data.get("results") or []],
    )


def call_from_dict(data: dict[str, Any]) -> ToolCall:
    call = ToolCall(**_known(ToolCall, data))
    call.extra = dict(call.extra or {})
    return call

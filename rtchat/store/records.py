"""What the history holds, as Python values, and how they map to and from rows.

Rows hold rtchat's own vocabulary only (statuses, done reasons, error kinds from
`rtchat.events`); provider words never reach the file. There is no field for
credentials: keys live in the keyring and config, never here.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rtchat.answer import Answer
from rtchat.attachments import Attachment
from rtchat.conversation import ThinkingBlock, ToolCall, ToolRound
from rtchat.events import Metrics, Usage

T = TypeVar("T")

STATUSES = ("complete", "streaming", "interrupted", "error")
TITLE_MAX_CHARS = 60


@dataclass(slots=True)
class ConversationRecord:
    id: int
    title: str
    model: str
    protocol: str
    system: str | None
    created: float
    updated: float


@dataclass(slots=True)
class ConversationSummary:
    """One row of the history browser."""

    id: int
    title: str
    model: str
    protocol: str
    created: float
    updated: float
    message_count: int
    cost_usd: float | None = None  # the sum over its answers; None when no answer had a known cost
    branches: int = 1  # how many branches (leaves) it has; the count above is the current one's
    unpriced: int = 0  # answers (every branch's) stored with no cost: "cost unknown", not $0


# An answer that said something but was stored with no cost: nobody said what it cost (a gateway or
# a remote server with no price); a cost of nothing is stored as 0, not as NULL.
UNPRICED_ANSWER = "m.role = 'assistant' AND m.cost_usd IS NULL AND (m.text != '' OR m.output_tokens > 0)"


def is_unpriced(message: MessageRecord) -> bool:
    """`UNPRICED_ANSWER` for one loaded message."""
    return message.role == "assistant" and message.cost_usd is None and bool(message.text or (message.output_tokens or 0) > 0)


@dataclass(slots=True)
class MessageRecord:
    id: int
    conversation_id: int
    seq: int
    role: str
    text: str
    thinking: list[ThinkingBlock] = field(default_factory=list)
    transcript: str = ""
    status: str = "complete"
    finish_reason: str | None = None
    error_kind: str | None = None
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    created: float = 0.0
    updated: float = 0.0
    cost_usd: float | None = None
    cost_source: str | None = None  # "server" (the provider said) or "table" (rtchat's price list)
    saved_usd: float | None = None
    cache_write_tokens: int | None = None
    attachments: list[Attachment] = field(default_factory=list)  # filled from the attachments table
    missing_attachments: list[str] = field(default_factory=list)  # names whose stored file is gone (a damaged history)
    parent_id: int | None = None  # the message this one follows; None for a first prompt
    on_path: bool = True  # on the branch the conversation is on
    siblings: list[int] = field(default_factory=list)  # ids sharing its parent, oldest first (itself included)
    rounds: list[ToolRound] = field(default_factory=list)  # an answer's tool steps (store/tool_blocks.py), before its thinking and text
    open_calls: list[ToolCall] = field(default_factory=list)  # calls shown but never answered (the turn was stopped)

    @property
    def branch(self) -> tuple[int, int]:
        """Which of its siblings this is, 1-based, and how many there are: (2, 3) reads "2/3"."""
        if len(self.siblings) < 2 or self.id not in self.siblings:
            return 1, 1
        return self.siblings.index(self.id) + 1, len(self.siblings)


@dataclass(slots=True)
class SearchHit:
    conversation_id: int
    title: str
    message_id: int
    role: str
    snippet: str
    created: float
    on_path: bool = True  # False: the hit is on a branch its conversation is not on now
    tool: str | None = None  # "result" or "call": the words were in a tool step (the snippet says so too)


# --------------------------------------------------------------------------- titles


def missing_attachments_line(messages: list[MessageRecord]) -> str | None:
    """One line naming the attachments a damaged history lost (None when none is missing)."""
    names = [name for message in messages for name in message.missing_attachments]
    if not names:
        return None
    listed = ", ".join(one_line(name) for name in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{len(names)} attached file{'s are' if len(names) > 1 else ' is'} missing from the history ({listed}); the conversation goes on without {'them' if len(names) > 1 else 'it'}"


def one_line(text: str) -> str:
    """Text fit for a title: unprintable characters become spaces, runs of space one."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def title_from_prompt(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """A conversation title from its first prompt: first non-empty line, cut at a word boundary."""
    line = one_line(next((line for line in text.splitlines() if line.strip()), ""))
    if len(line) <= limit:
        return line
    cut = line[:limit]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


# --------------------------------------------------------------------------- thinking


def thinking_to_json(blocks: list[ThinkingBlock]) -> str:
    return json.dumps(
        [
            {"text": b.text, "signature": b.signature, "redacted": b.redacted, "provider": b.provider}
            for b in blocks
        ],
        ensure_ascii=False,
    )


def thinking_from_json(data: str | None) -> list[ThinkingBlock]:
    if not data:
        return []
    return [
        ThinkingBlock(
            text=item.get("text") or "",
            signature=item.get("signature"),
            redacted=item.get("redacted"),
            provider=item.get("provider"),
        )
        for item in json.loads(data)
    ]


def thinking_plain_text(blocks: list[ThinkingBlock]) -> str:
    """What search indexes of the thinking: its words, not signatures or JSON keys."""
    return "\n".join(b.text for b in blocks if b.text)


# --------------------------------------------------------------------------- rows

CONVERSATION_COLUMNS = "id, title, model, protocol, system, created, updated"
MESSAGE_COLUMNS = (
    "id, conversation_id, seq, role, text, thinking, transcript, status, finish_reason, "
    "error_kind, error, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "metrics, model, created, updated, cost_usd, cost_source, saved_usd, cache_write_tokens, "
    "parent_id, on_path"
)


def record_from_row(cls: type[T], row: sqlite3.Row) -> T:
    """A record from a row whose column names are its field names."""
    return cls(**{name: row[name] for name in row.keys()})


def message_from_row(row: sqlite3.Row) -> MessageRecord:
    values = {name: row[name] for name in row.keys()}
    values["thinking"] = thinking_from_json(values["thinking"])
    values["metrics"] = json.loads(values["metrics"] or "{}")
    values["on_path"] = bool(values["on_path"])
    return MessageRecord(**values)


SQLITE_INT_MAX = 2**63 - 1
MONEY_MAX_USD = 1e9  # more than any one answer can cost: a bigger figure is a server's mistake


def stored_count(value: object) -> int | None:
    """A token count as SQLite can hold it: a whole number 0..2^63-1, else None ("not said").

    Why here: a server's 10^19 tokens raised OverflowError on the writer thread, and the
    answer was stored empty. Whatever the layers above let through, the row is written."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SQLITE_INT_MAX:
        return value
    return None


def stored_money(value: object) -> float | None:
    """A dollar figure as stored: finite and plausible, else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and abs(value) <= MONEY_MAX_USD:
        return float(value)
    return None


def answer_row(answer: Answer, status: str) -> dict[str, Any]:
    """The answer's columns as named SQL parameters (its row id and times are added by the writer).
    Counts and money pass `stored_count`/`stored_money`: no value from a server fails the write."""
    usage = answer.usage or Usage()
    thinking = list(answer.thinking)
    return {
        "text": answer.text,
        "thinking": thinking_to_json(thinking),
        "thinking_text": thinking_plain_text(thinking),
        "transcript": answer.transcript,
        "status": status,
        "finish_reason": answer.reason,
        "error_kind": None if answer.error is None else str(answer.error.kind),
        "error": None if answer.error is None else answer.error.message,
        "input_tokens": stored_count(usage.input_tokens),
        "output_tokens": stored_count(usage.output_tokens),
        "cached_tokens": stored_count(usage.cached_tokens),
        "reasoning_tokens": stored_count(usage.reasoning_tokens),
        "cache_write_tokens": stored_count(usage.cache_write_tokens),
        "cost_usd": None if answer.cost is None else stored_money(answer.cost.usd),
        "cost_source": None if answer.cost is None else answer.cost.source,
        "saved_usd": None if answer.cost is None else stored_money(answer.cost.saved_usd),
        "metrics": json.dumps(metrics_dict(answer.metrics)),
        "prompt_transcript": answer.user_transcript,
        "rounds": answer.rounds,  # not a column: store/tool_blocks.py writes them
        "open_calls": answer.tool_calls,
    }


def metrics_dict(metrics: Metrics | None) -> dict[str, Any]:
    if metrics is None:
        return {}
    fields = ("connect_ms", "headers_ms", "ttft_ms", "total_ms", "tokens_per_s", "output_chunks", "attempts", "thinking_ms", "effort")
    return {name: getattr(metrics, name) for name in fields if getattr(metrics, name) is not None}

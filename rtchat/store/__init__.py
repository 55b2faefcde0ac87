"""The chat history: every conversation in one SQLite file, safe against crashes.

Why SQLite in WAL mode: a prompt is committed before its request leaves, an
answer is committed every half second while it streams, and a `kill -9` at any
moment leaves a readable file whose half-written answers `recover()` marks as
interrupted. Readers (a second rtchat, the history browser) never block the
writer.

Failures never take the running chat with them: every SQLite error becomes a
`StoreError` whose message names the file and says what to do, and an
`AnswerWriter` keeps write failures in `writer.failed` so the streaming loop
goes on; the app keeps its own in-memory conversation.

One module per job: `schema` (migrations), `records` (rows as values),
`connection` (open, transactions), `errors` (wording), `search` (FTS),
`writer` (the streaming answer), `chunks` (its text while it streams), `tool_blocks` (its
tool steps), `branches` (the conversation tree), `database` (the `Store`).
"""

from rtchat.store.branches import LEAF, Parent
from rtchat.store.connection import BUSY_TIMEOUT_S
from rtchat.store.database import FLUSH_INTERVAL_S, Store, as_conversation
from rtchat.store.errors import StoreError, explain
from rtchat.store.location import DATA_DIR_ENV, DB_FILENAME, default_path
from rtchat.store.records import (
    STATUSES,
    TITLE_MAX_CHARS,
    ConversationRecord,
    ConversationSummary,
    MessageRecord,
    SearchHit,
    is_unpriced,
    missing_attachments_line,
    one_line,
    thinking_from_json,
    thinking_to_json,
    title_from_prompt,
)
from rtchat.store.schema import MIGRATIONS, SCHEMA_VERSION
from rtchat.store.search import fts_query
from rtchat.store.shares import ShareRecord
from rtchat.store.tool_blocks import call_from_dict, round_from_dict, round_json
from rtchat.store.writer import AnswerWriter

__all__ = [
    "BUSY_TIMEOUT_S",
    "DATA_DIR_ENV",
    "DB_FILENAME",
    "FLUSH_INTERVAL_S",
    "LEAF",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STATUSES",
    "TITLE_MAX_CHARS",
    "AnswerWriter",
    "ConversationRecord",
    "ConversationSummary",
    "MessageRecord",
    "Parent",
    "SearchHit",
    "ShareRecord",
    "Store",
    "StoreError",
    "as_conversation",
    "call_from_dict",
    "default_path",
    "explain",
    "fts_query",
    "is_unpriced",
    "missing_attachments_line",
    "one_line",
    "round_from_dict",
    "round_json",
    "thinking_from_json",
    "thinking_to_json",
    "title_from_prompt",
]

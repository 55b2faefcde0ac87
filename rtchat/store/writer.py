"""The streaming writer: snapshots of one turn's answer, saved on the writer thread.

Why split that way: `update` runs inside the streaming loop, so it only notes that
the answer grew and, every `flush_interval`, hands a snapshot of the row to the
store's writer thread. The answer is the turn's own fold (rtchat.answer), read
only when a write is due: nothing here folds events a second time. A write that
waits for another program's lock waits there. Snapshots coalesce: while one waits to be written, a newer one replaces it, so a
locked file never builds a queue.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from typing import Any, Protocol

from rtchat.answer import Answer
from rtchat.conversation import ThinkingBlock
from rtchat.store import chunks, tool_blocks
from rtchat.store.connection import write_transaction
from rtchat.store.errors import StoreError
from rtchat.store.records import STATUSES, answer_row, title_from_prompt
from rtchat.store.worker import WriteWorker


class WriterHome(Protocol):
    """What a writer uses of the store that made it (a `database.Store`): declared here, below the
    store, so the writer needs no import of the module that imports it."""

    path: str
    worker: WriteWorker
    flush_interval: float
    clock: Callable[[], float]  # monotonic: when to flush
    now: Callable[[], float]  # wall clock: what to record


class AnswerWriter:
    """Streams one answer into its row: snapshots of the turn's answer, written at most
    every `flush_interval` seconds and at once when it ends.

    Nothing here waits for SQLite: `failed` is set by the writer thread on the first
    storage failure (show it once); the answer keeps growing, so a later flush can still
    save everything. `wait()` blocks until what was handed over is written.
    """

    def __init__(
        self,
        store: WriterHome,
        conversation_id: int,
        message_id: int,
        prompt_id: int | None,
        provider: str | None,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.message_id = message_id
        self.prompt_id = prompt_id
        self.provider = provider
        self._snapshot: Callable[[], Answer] = Answer  # reads the turn's answer as it stands
        self.forced_status: str | None = None
        self.failed: StoreError | None = None  # set on the writer thread
        self.flushes = 0  # snapshots handed to the writer thread
        self.saved = 0  # snapshots committed (counted on the writer thread)
        self.closed = False
        self._dirty = False
        self._clock = store.clock
        self._interval = store.flush_interval
        self._last_flush = self._clock()
        self._slot = threading.Lock()
        self._pending: dict[str, Any] | None = None  # the newest snapshot not yet taken by the thread
        self._last_job: Future[None] | None = None
        self._saved = Saved()  # what is in the file: read and replaced on the writer thread only

    # ---- what has been received so far

    def answer(self) -> Answer:
        return self._snapshot()

    @property
    def status(self) -> str:
        return self.forced_status or self.answer().status

    @property
    def finish_reason(self) -> str | None:
        return self.answer().reason

    @property
    def text(self) -> str:
        return self.answer().text

    @property
    def thinking(self) -> list[ThinkingBlock]:
        return list(self.answer().thinking)

    @property
    def transcript(self) -> str:
        return self.answer().transcript

    # ---- the answer

    def update(self, snapshot: Callable[[], Answer], final: bool = False, step: bool = False) -> None:
        """The answer grew: `snapshot` reads it (the turn's `answer`), called only when a write is
        due, so a long answer is not copied per token. `final`: it has ended, write now. `step`:
        a tool step's boundary (a call about to run, a result back), write now: a tool's result
        may not be had again, and the user may take minutes to approve a call. Never waits."""
        if self.closed:
            return
        self._snapshot = snapshot
        self._dirty = True
        if final or step or self._clock() - self._last_flush >= self._interval:
            self.flush(step)

    # ---- saving

    def _state(self, step: bool = False) -> dict[str, Any]:
        answer = self.answer()
        return {
            **answer_row(answer, self.forced_status or answer.status),
            "step": step,  # at a step boundary: the open step's calls are whole
            "id": self.message_id,
            "conversation_id": self.conversation_id,
            "prompt_id": self.prompt_id,
            "now": self.store.now(),  # when it was received, not when the lock let it through
        }

    def flush(self, step: bool = False) -> None:
        """Hand what has been received to the writer thread; returns at once."""
        if not self._dirty:
            return
        self._last_flush = self._clock()
        self._dirty = False
        state = self._state(step)  # taken here: the turn's answer belongs to this thread
        with self._slot:
            queued = self._pending is not None
            if queued and self._pending["step"]:  # the snapshot it replaces was a step boundary: still is
                state["step"] = True
            self._pending = state
        self.flushes += 1
        if queued:
            return  # the job already queued takes this newer snapshot
        try:
            self._last_job = self.store.worker.submit(self._save_pending)
        except StoreError as exc:
            self._note(exc)

    def _save_pending(self, conn: sqlite3.Connection) -> None:
        """On the writer thread: write the newest snapshot."""
        with self._slot:
            state, self._pending = self._pending, None
        if state is None:
            return
        try:
            with write_transaction(conn, self.store.path):
                saved = save_answer(conn, state, self._saved)
        except StoreError as exc:
            self._note(exc)
            return
        except Exception as exc:  # noqa: BLE001 - a value SQLite refuses: said once, never lost silently
            self._note(StoreError(f"could not save the answer to the chat history at {self.store.path}: {exc}", path=self.store.path))
            return
        self._saved = saved
        self.saved += 1

    def _note(self, exc: StoreError) -> None:
        if self.failed is None:
            self.failed = exc

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every snapshot handed over is written or has failed; False on timeout.

        For shutdown and tests, never for the event loop. The last job suffices: jobs run
        in order, and it takes the newest snapshot."""
        job = self._last_job
        return job is None or not wait_for([job], timeout).not_done

    def close(self, status: str | None = None) -> None:
        """Finish the row: an explicit `status` wins; an answer still streaming is 'interrupted'
        ('error' if an Error event came). Hands the final state over and returns at once;
        never raises for storage, see `failed`."""
        if self.closed:
            return
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            self.forced_status = status
        else:
            answer = self.answer()
            if answer.reason is None:
                self.forced_status = "error" if answer.error is not None else "interrupted"
        self._dirty = True
        self.flush()
        self.closed = True

    def __enter__(self) -> AnswerWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class Saved:
    """What of an answer is already in the file (kept on the writer thread, replaced only
    after a commit, so a failed write is simply redone bigger by the next one)."""

    text_chars: int = 0  # of the text: in `messages.text` plus the answer's chunks
    thinking: str | None = None  # the thinking JSON last written
    tools: tuple[tool_blocks.Fingerprint, ...] = ()  # of each tool step row written


def save_answer(conn: sqlite3.Connection, state: dict[str, Any], saved: Saved = Saved()) -> Saved:
    """Write one snapshot into its row (and a spoken prompt's transcript into the prompt's).

    While the answer streams, only the text's new part is written (a chunk row) and the
    thinking only when it changed; the final snapshot writes the whole text once and drops
    the chunks. So an answer of N bytes costs O(N) bytes of writes, not O(N²). Tool steps
    are written when one begins or gets a result (store/tool_blocks.py)."""
    now = state["now"]
    text: str = state["text"]
    streaming = state["status"] == "streaming"
    sets = []
    if streaming and len(text) >= saved.text_chars:
        if len(text) > saved.text_chars:
            chunks.append(conn, state["id"], text[saved.text_chars:])
    else:
        sets.append("text = :text")
        chunks.drop(conn, state["id"])
    if not streaming or state["thinking"] != saved.thinking:
        sets.append("thinking = :thinking, thinking_text = :thinking_text")
    # A tool step's row is written only when a step began, got a result, or its calls are whole.
    wanted = tool_blocks.fingerprints(state["rounds"], state["open_calls"], whole=not streaming or state["step"])
    tools = tool_blocks.save(conn, state["id"], state["rounds"], state["open_calls"], wanted, saved.tools)
    conn.execute(
        "UPDATE messages SET " + "".join(f"{column}, " for column in sets) +
        " transcript = :transcript, status = :status, finish_reason = :finish_reason,"
        " error_kind = :error_kind, error = :error, input_tokens = :input_tokens,"
        " output_tokens = :output_tokens, cached_tokens = :cached_tokens,"
        " reasoning_tokens = :reasoning_tokens, cache_write_tokens = :cache_write_tokens,"
        " cost_usd = :cost_usd, cost_source = :cost_source, saved_usd = :saved_usd,"
        " metrics = :metrics, updated = :now"
        " WHERE id = :id",
        state,
    )
    prompt_transcript = state["prompt_transcript"]
    if prompt_transcript is not None and state["prompt_id"] is not None:
        conn.execute(
            "UPDATE messages SET transcript = ?, updated = ? WHERE id = ?",
            (prompt_transcript, now, state["prompt_id"]),
        )
        conn.execute(
            "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
            (title_from_prompt(prompt_transcript), state["conversation_id"]),
        )
    if not streaming:
        conn.execute(
            "UPDATE conversations SET updated = max(updated, ?) WHERE id = ?",
            (now, state["conversation_id"]),
        )
    return Saved(len(text), state["thinking"], tools)

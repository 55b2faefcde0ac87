"""The streaming writer: one answer's events folded and saved into its row as they arrive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rtchat.answer import Answer, AnswerBuilder
from rtchat.conversation import ThinkingBlock
from rtchat.store.errors import StoreError
from rtchat.store.records import STATUSES, answer_row

if TYPE_CHECKING:
    from rtchat.store.database import Store


class AnswerWriter:
    """Streams one answer into its row: events are folded by the one answer fold
    (rtchat.answer), written at most every `flush_interval` seconds and at once on Done.

    `apply` never raises for a storage failure: the first one is kept in `failed` (show
    it once) and the fold keeps growing, so a later flush can still save everything.
    """

    def __init__(
        self,
        store: Store,
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
        self.builder = AnswerBuilder(provider)
        self.forced_status: str | None = None
        self.failed: StoreError | None = None
        self.flushes = 0
        self.closed = False
        self._dirty = False
        self._clock = store.clock
        self._interval = store.flush_interval
        self._last_flush = self._clock()

    # ---- what has been received so far

    def answer(self) -> Answer:
        return self.builder.answer()

    @property
    def status(self) -> str:
        return self.forced_status or self.builder.answer().status

    @property
    def finish_reason(self) -> str | None:
        return self.builder.answer().reason

    @property
    def text(self) -> str:
        return self.builder.text

    @property
    def thinking(self) -> list[ThinkingBlock]:
        return list(self.builder.answer().thinking)

    @property
    def transcript(self) -> str:
        return self.builder.answer().transcript

    # ---- events

    def apply(self, event: object) -> None:
        """Take one rtchat event; events the history does not keep are ignored."""
        if self.closed or not self.builder.apply(event):  # type: ignore[arg-type]
            return
        self._dirty = True
        if self.builder.finished or self._clock() - self._last_flush >= self._interval:
            self.flush()

    # ---- saving

    def _state(self) -> dict[str, Any]:
        answer = self.builder.answer()
        return {
            **answer_row(answer, self.forced_status or answer.status),
            "id": self.message_id,
            "conversation_id": self.conversation_id,
            "prompt_id": self.prompt_id,
        }

    def flush(self) -> bool:
        """Write what has been received; False (and `failed` set) if the store refused."""
        if not self._dirty:
            return True
        self._last_flush = self._clock()  # a failing disk is retried at the normal pace, not per event
        try:
            state = self._state()
            self.store._save_answer(state, final=state["status"] != "streaming")
        except StoreError as exc:
            if self.failed is None:
                self.failed = exc
            return False
        self._dirty = False
        self.flushes += 1
        return True

    def close(self, status: str | None = None) -> None:
        """Finish the row: an explicit `status` wins; an answer still streaming is 'interrupted'
        ('error' if an Error event came). Never raises; see `failed`."""
        if self.closed:
            return
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            self.forced_status = status
        elif not self.builder.finished:
            self.forced_status = "error" if self.builder.answer().error is not None else "interrupted"
        self._dirty = True
        self.flush()
        self.closed = True

    def __enter__(self) -> AnswerWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

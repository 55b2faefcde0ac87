"""Keeps a running chat in the history store, and keeps the chat going when the store fails.

Both `rtchat ask` and the app record turns through this one class: the prompt
is committed before the request leaves, the answer streams into its row, and
the first storage failure is reported once while the chat goes on in memory.

`prompt` waits for its commit (once per turn, before sending: that wait is the
guarantee). Answer writes never wait: they happen on the store's writer thread,
so the failure of an answer's last write is reported at the next call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rtchat.attachments import Attachment
from rtchat.conversation import Conversation
from rtchat.events import Event
from rtchat.store import AnswerWriter, Store, StoreError


class TurnRecorder:
    def __init__(self, store: Store | None, warn: Callable[[str], None]) -> None:
        self.store = store
        self.warn = warn
        self.conversation_id: int | None = None
        self.writer: AnswerWriter | None = None
        self._finished: AnswerWriter | None = None  # its final write may still be on the way

    @classmethod
    def open(cls, warn: Callable[[str], None], enabled: bool = True) -> "TurnRecorder":
        if not enabled:
            return cls(None, warn)
        try:
            return cls(Store.open(), warn)
        except StoreError as exc:
            warn(f"history is off for this session: {exc}")
            return cls(None, warn)

    def _fail(self, exc: StoreError) -> None:
        self.warn(f"history is off for the rest of this session (the chat goes on): {exc}")
        self.store = None
        self.writer = None
        self._finished = None

    def _check_finished(self) -> None:
        """Report the last answer's failed final write, if it has failed by now."""
        writer = self._finished
        if writer is None:
            return
        if writer.failed is not None:
            self._fail(writer.failed)
        elif writer.wait(timeout=0):
            self._finished = None

    def start(self, model: str, protocol: str, system: str | None) -> None:
        if self.store is None:
            return
        try:
            self.conversation_id = self.store.create_conversation(model, protocol, system=system)
        except StoreError as exc:
            self._fail(exc)

    def resume(self, conversation_id: int) -> Conversation:
        """Load a stored conversation to continue it (raises StoreError/KeyError)."""
        assert self.store is not None
        conversation = self.store.to_conversation(conversation_id)
        self.conversation_id = conversation_id
        return conversation

    def prompt(self, text: str, attachments: Sequence[Attachment] = ()) -> None:
        self._check_finished()
        if self.store is None or self.conversation_id is None:
            return
        try:
            self.store.add_user_message(self.conversation_id, text, attachments)
        except StoreError as exc:
            self._fail(exc)

    def begin_answer(self, model: str, provider: str) -> None:
        self._check_finished()
        if self.store is None or self.conversation_id is None:
            return
        try:
            self.writer = self.store.begin_answer(self.conversation_id, model, provider=provider)
        except StoreError as exc:
            self._fail(exc)

    def apply(self, event: Event) -> None:
        writer = self.writer
        if writer is None:
            return
        writer.apply(event)
        if writer.failed is not None:
            self._fail(writer.failed)

    def end_answer(self) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        writer.close()  # hands the final state to the writer thread; does not wait
        self._finished = writer
        self._check_finished()

    def discard(self, conversation_id: int) -> None:
        """Forget a conversation whose first turn got no answer (no key, a refused protocol,
        an unreachable URL): a list of "hi · 2 msgs" helps nobody. Blocks until the answer's
        last write has landed, so call it off the event loop."""
        finished, store = self._finished, self.store
        if finished is not None:
            finished.wait(timeout=5)
        if store is None:
            return
        try:
            store.delete(conversation_id)
        except StoreError as exc:
            self._fail(exc)

    def close(self) -> None:
        """End the answer, wait (bounded) for the writes still pending, and say if they failed."""
        self.end_answer()
        store = self.store
        if store is None:
            return
        landed = store.close()
        self._check_finished()
        if not landed and self.store is not None:
            self.warn(f"the chat history at {store.path} was still locked; the last answer may not be saved")
        self.store = None

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
from dataclasses import dataclass

from rtchat.answer import Answer
from rtchat.attachments import Attachment
from rtchat.conversation import Conversation
from rtchat.store import LEAF, AnswerWriter, MessageRecord, Parent, ShareRecord, Store, StoreError, as_conversation, missing_attachments_line


@dataclass(frozen=True)
class BranchPoint:
    """Where a regenerated answer or an edited prompt goes, and what its turn sends before it."""

    parent: int | None  # the new message follows this one (None: a new first prompt)
    context: Conversation  # the conversation up to it (for a regenerate, ending with the prompt)
    replaced: MessageRecord | None  # the message that gains a sibling (None: a prompt that had no answer)


def regenerate_point(store: Store, conv_id: int, answer_id: int | None = None) -> BranchPoint:
    """A new answer to the prompt of `answer_id` (default: the last prompt of the current branch).
    Raises LookupError when there is no prompt to answer, KeyError for an unknown id."""
    record, path = store.load_conversation(conv_id)
    if answer_id is None:
        prompts = [i for i, m in enumerate(path) if m.role == "user"]
        if not prompts:
            raise LookupError("there is no prompt to answer again yet")
        at = prompts[-1]
        replaced = path[at + 1] if at + 1 < len(path) else None
    else:
        at = _index(path, answer_id) - 1
        replaced = path[at + 1]
        if replaced.role != "assistant" or at < 0:
            raise LookupError("only an answer can be regenerated")
    return BranchPoint(path[at].id, as_conversation(record, path[: at + 1]), replaced)


def edit_point(store: Store, conv_id: int, message_id: int | None = None) -> BranchPoint:
    """A replacement for the prompt `message_id`, or for the prompt the answer `message_id`
    answers (default: the last prompt of the current branch)."""
    record, path = store.load_conversation(conv_id)
    end = len(path) if message_id is None else next((i + 1 for i, m in enumerate(path) if m.id == message_id), 0)
    prompts = [i for i, m in enumerate(path[:end]) if m.role == "user"]
    if not prompts:
        raise LookupError("there is no prompt to edit yet" if message_id is None else f"no prompt for message {message_id} on this branch")
    at = prompts[-1]
    return BranchPoint(path[at].parent_id, as_conversation(record, path[:at]), path[at])


def _index(path: list[MessageRecord], message_id: int) -> int:
    for index, message in enumerate(path):
        if message.id == message_id:
            return index
    raise KeyError(f"message {message_id} is not on the current branch")


class TurnRecorder:
    def __init__(self, store: Store | None, warn: Callable[[str], None]) -> None:
        self.store = store
        self.warn = warn
        self.conversation_id: int | None = None
        self.writer: AnswerWriter | None = None
        self._finished: AnswerWriter | None = None  # its final write may still be on the way
        self.last_answer_id: int | None = None  # the stored row of the latest answer begun
        self.last_prompt_id: int | None = None  # and of the latest prompt

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

    def resume(self, conversation_id: int) -> tuple[Conversation, int | None]:
        """Load a stored conversation to continue it (raises StoreError/KeyError): what the
        next request sends, and the leaf it was loaded up to. Pass that leaf as the next
        prompt's parent, so a second rtchat writing to the same conversation meanwhile makes
        a branch, never a prompt after a prompt the model did not see."""
        assert self.store is not None
        record, path = self.store.load_conversation(conversation_id)
        self.conversation_id = conversation_id
        missing = missing_attachments_line(path)
        if missing is not None:
            self.warn(missing)
        return as_conversation(record, path), (path[-1].id if path else None)

    def prompt(self, text: str, attachments: Sequence[Attachment] = (), parent: Parent = LEAF) -> None:
        """Commit a prompt after the current leaf, or after `parent` (an edited prompt: a new branch)."""
        self._check_finished()
        self.last_prompt_id = None
        if self.store is None or self.conversation_id is None:
            return
        try:
            self.last_prompt_id = self.store.add_user_message(self.conversation_id, text, attachments, parent=parent)
        except StoreError as exc:
            self._fail(exc)

    def begin_answer(self, model: str, provider: str, parent: Parent = LEAF) -> None:
        """Start the answer's row after the prompt this recorder just committed (not whatever
        is the leaf by then: another rtchat may have added to the conversation), or after
        `parent` (a regenerated answer)."""
        self._check_finished()
        if parent == LEAF and self.last_prompt_id is not None:
            parent = self.last_prompt_id
        self.last_answer_id = None
        if self.store is None or self.conversation_id is None:
            return
        try:
            self.writer = self.store.begin_answer(self.conversation_id, model, provider=provider, parent=parent)
            self.last_answer_id = self.writer.message_id
        except StoreError as exc:
            self._fail(exc)

    def update(self, snapshot: Callable[[], Answer], final: bool = False, step: bool = False) -> None:
        """The answer grew; `snapshot` reads the turn's one Answer when a write is due (at once
        when `final`, or at a tool step's boundary: `step`)."""
        writer = self.writer
        if writer is None:
            return
        writer.update(snapshot, final, step)
        if writer.failed is not None:
            self._fail(writer.failed)

    def end_answer(self) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        writer.close()  # hands the final state to the writer thread; does not wait
        self._finished = writer
        self._check_finished()

    def share(self, share: ShareRecord) -> None:
        """Record a share that has ended, in the current conversation (none yet: nothing went to a model)."""
        if self.store is None or self.conversation_id is None:
            return
        try:
            self.store.add_share(self.conversation_id, share)
        except StoreError as exc:
            self._fail(exc)

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

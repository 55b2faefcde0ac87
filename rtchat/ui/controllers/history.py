"""The app's side of the history store: record every turn, and open or start conversations.

Recording goes through the `TurnService` (rtchat/run.py, shared with `rtchat ask`
and the race): the prompt is committed before its request leaves, the answer
streams into its row from the turn's own answer, and the first storage failure
becomes one inline notice while the chat goes on in memory. Callers stop the running turn before switching.

SQLite never runs on the event loop: every read and write here goes through
`asyncio.to_thread` (writes then wait on the store's writer thread), so a file
another program holds locked delays the history, never a keystroke. Warnings the
recorder raises on those threads reach the transcript through the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rtchat.conversation import Conversation
from rtchat.history import BranchPoint, TurnRecorder, edit_point, regenerate_point
from rtchat.run import TurnService
from rtchat.store import Store, as_conversation, missing_attachments_line
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.widgets.transcript.history_views import record_factory
from rtchat.ui.widgets.transcript.messages import MessageView, show_branch
from rtchat.ui.widgets.transcript.transcript import Transcript

Warn = Callable[[str], None]


@dataclass(frozen=True)
class Reopened:
    """A stored conversation now on screen: the model that last answered in it, and its title."""

    model: str | None
    protocol: str | None
    title: str


class HistoryController:
    def __init__(self, state: ChatState, transcript: Transcript, warn: Warn) -> None:
        self.state = state
        self.transcript = transcript
        self.warn = warn
        self.service = TurnService(TurnRecorder(None, self._warn))  # off until `open`: the store opens once the app runs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def _warn(self, text: str) -> None:
        """`warn` on the loop's thread, wherever the recorder found the problem."""
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self.warn, text)
        else:
            self.warn(text)

    async def open(self, enabled: bool) -> None:
        self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        self.service.recorder = await asyncio.to_thread(TurnRecorder.open, self._warn, enabled)

    @property
    def recorder(self) -> TurnRecorder:
        return self.service.recorder

    async def last_conversation_id(self) -> int | None:
        store = self.store
        return None if store is None else await asyncio.to_thread(store.last_conversation_id)

    @property
    def store(self) -> Store | None:
        return self.recorder.store

    @property
    def conversation_id(self) -> int | None:
        return self.recorder.conversation_id

    async def close(self) -> None:
        await asyncio.to_thread(self.recorder.close)

    # --- switching conversations ------------------------------------------------------------

    async def start_new(self) -> None:
        self.state.conversation = Conversation()
        self.recorder.conversation_id = None  # stored on its first prompt: no empty rows in the list
        await self.transcript.clear()

    # --- branches ------------------------------------------------------------------------------

    async def branch_point(self, kind: str, message_id: int | None = None) -> BranchPoint:
        """Where a regenerated answer ("regenerate") or an edited prompt ("edit") goes.
        LookupError with the reason when there is none (the history off, nothing to redo)."""
        store, conv_id = self.store, self.conversation_id
        if store is None or conv_id is None:
            raise LookupError("regenerate and edit keep both versions in the history, which is off or empty here")
        try:
            return await asyncio.to_thread(regenerate_point if kind == "regenerate" else edit_point, store, conv_id, message_id)
        except KeyError as exc:
            raise LookupError(str(exc.args[0])) from None

    async def show_before(self, point: BranchPoint) -> None:
        """The transcript and the next turn's context up to where the new message goes."""
        store, conv_id = self.store, self.conversation_id
        assert store is not None and conv_id is not None
        _, path = await asyncio.to_thread(store.load_conversation, conv_id)
        cut = next((i + 1 for i, m in enumerate(path) if m.id == point.parent), 0)
        self.state.conversation = point.context
        await self._show(path[:cut])

    async def mark_branch(self, view: MessageView, message_id: int | None) -> None:
        """A live entry learns its stored id and, if it has siblings, shows its switcher."""
        store = self.store
        siblings = await asyncio.to_thread(store.siblings, message_id) if store is not None and message_id is not None else []
        index = siblings.index(message_id) + 1 if message_id in siblings else 1
        await show_branch(view, message_id, index, len(siblings))

    async def flip(self, message_id: int, step: int) -> int | None:
        """Put the conversation on the sibling `step` away from `message_id` and redraw it;
        returns the sibling shown (None at either end or when the history is off)."""
        store, conv_id = self.store, self.conversation_id
        if store is None or conv_id is None:
            return None
        siblings = await asyncio.to_thread(store.siblings, message_id)
        index = siblings.index(message_id) + step if message_id in siblings else -1
        if not 0 <= index < len(siblings):
            return None
        await self.select(siblings[index])
        return siblings[index]

    async def select(self, message_id: int) -> None:
        """Put the conversation on the branch through `message_id` and redraw it."""
        assert self.store is not None and self.conversation_id is not None
        await asyncio.to_thread(self.store.select_branch, self.conversation_id, message_id)
        await self.show_current()

    async def show_current(self) -> None:
        """Redraw the current branch and make it what the next turn sends."""
        store, conv_id = self.store, self.conversation_id
        assert store is not None and conv_id is not None
        record, path = await asyncio.to_thread(store.load_conversation, conv_id)
        self.state.conversation = as_conversation(record, path)
        await self._show(path)

    async def _show(self, path: list, model: str = "assistant") -> None:
        await self.transcript.clear()
        await self.transcript.load_history([record_factory(m, model) for m in path])

    async def reopen(self, conversation_id: int) -> Reopened | None:
        """Show a stored conversation and continue it: later turns send its history.

        None when the history is off; raises StoreError or KeyError when it cannot be read (nothing changes then)."""
        store = self.store
        if store is None:
            return None
        record, messages = await asyncio.to_thread(store.load_conversation, conversation_id)
        self.state.conversation = as_conversation(record, messages)
        self.recorder.conversation_id = conversation_id
        missing = missing_attachments_line(messages)
        if missing is not None:
            self.warn(missing)
        answered_by = [m.model for m in messages if m.role == "assistant" and m.model]
        model = answered_by[-1] if answered_by else record.model
        await self.transcript.clear()
        await self.transcript.load_history([record_factory(m, model) for m in messages])
        return Reopened(model or None, record.protocol, record.title or "(untitled)")

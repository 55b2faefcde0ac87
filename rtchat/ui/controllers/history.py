"""The app's side of the history store: record every turn, and open or start conversations.

Recording goes through `TurnRecorder` (shared with `rtchat ask`): the prompt is
committed before its request leaves, the answer streams into its row as the
turn's observer, and the first storage failure becomes one inline notice while
the chat goes on in memory. Callers stop the running turn before switching.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from rtchat.attachments import Attachment
from rtchat.conversation import Conversation
from rtchat.events import Event
from rtchat.history import TurnRecorder
from rtchat.store import Store
from rtchat.target import Target
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.widgets.transcript.history_views import record_factory
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
        self.recorder = TurnRecorder(None, warn)  # off until `open`: the store opens once the app runs
        self._fresh: int | None = None  # the stored conversation the running turn created

    def open(self, enabled: bool) -> None:
        self.recorder = TurnRecorder.open(self.warn, enabled=enabled)

    @property
    def store(self) -> Store | None:
        return self.recorder.store

    @property
    def conversation_id(self) -> int | None:
        return self.recorder.conversation_id

    # --- recording, driven by the TurnController ------------------------------------------

    def record_prompt(self, text: str, model: str, protocol: str, attachments: list[Attachment] | None = None) -> None:
        """Commit the prompt before the request leaves (creating the stored conversation on the first one)."""
        self._fresh = None
        if self.recorder.conversation_id is None:
            self.recorder.start(model, protocol, self.state.conversation.system)
            self._fresh = self.recorder.conversation_id
        self.recorder.prompt(text, attachments or [])

    async def keep_only_answered(self, answered: bool) -> None:
        """A conversation whose first turn got no answer is not kept in the history."""
        fresh, self._fresh = self._fresh, None
        if answered or fresh is None or fresh != self.recorder.conversation_id:
            return
        self.recorder.conversation_id = None
        await asyncio.to_thread(self.recorder.discard, fresh)

    def begin_answer(self, target: Target) -> None:
        self.recorder.begin_answer(target.ref, target.provider.id)

    def observe(self, event: Event) -> None:
        self.recorder.apply(event)

    def end_answer(self) -> None:
        self.recorder.end_answer()

    def close(self) -> None:
        self.recorder.close()

    # --- switching conversations ------------------------------------------------------------

    async def start_new(self) -> None:
        self.state.conversation = Conversation()
        self.recorder.conversation_id = None  # stored on its first prompt: no empty rows in the list
        await self.transcript.clear()

    async def reopen(self, conversation_id: int) -> Reopened | None:
        """Show a stored conversation and continue it: later turns send its history.

        None when the history is off; raises StoreError or KeyError when it cannot be read (nothing changes then)."""
        store = self.store
        if store is None:
            return None
        record, messages = store.load_conversation(conversation_id)
        conversation = store.to_conversation(conversation_id)
        self.state.conversation = conversation
        self.recorder.conversation_id = conversation_id
        answered_by = [m.model for m in messages if m.role == "assistant" and m.model]
        model = answered_by[-1] if answered_by else record.model
        await self.transcript.clear()
        await self.transcript.load_history([record_factory(m, model) for m in messages])
        return Reopened(model or None, record.protocol, record.title or "(untitled)")

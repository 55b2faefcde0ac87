"""The app's side of the history store: record every turn, and list, search, open,
rename, delete and start conversations.

Recording goes through `TurnRecorder` (shared with `rtchat ask`): the prompt is
committed before its request leaves, the answer streams into its row through
the app's observers, and the first storage failure becomes one inline notice
while the chat goes on in memory.
"""

from __future__ import annotations

import asyncio

from textual import work

from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.history import TurnRecorder
from rtchat.store import StoreError
from rtchat.ui.widgets.transcript.history_views import record_factory
from rtchat.ui.screens.conversation_list import ConversationList


class ConversationActions:
    """Mixed into RtChatApp; uses its transcript, conversation, runner and switch_model."""

    recorder: TurnRecorder

    def open_history(self, enabled: bool) -> None:
        self.recorder = TurnRecorder.open(self._history_problem, enabled=enabled)
        self.observers.insert(0, self.recorder.apply)  # the answer streams into the store

    def _history_problem(self, text: str) -> None:
        self.call_later(self.show_notice, Notice(text, "warning"))

    def record_prompt(self, text: str, model: str, protocol: str) -> None:
        """Commit the prompt before the request leaves (creating the stored conversation on the first one)."""
        if self.recorder.conversation_id is None:
            self.recorder.start(model, protocol, self.conversation.system)
        self.recorder.prompt(text)

    def _history_off(self) -> bool:
        if self.recorder.store is None:
            self.notify("the history is off for this session (see the notice in the transcript)", severity="warning")
            return True
        return False

    # --- screens ----------------------------------------------------------------------------

    def action_list_conversations(self) -> None:
        if not self._history_off():
            self.push_screen(ConversationList(self.recorder.store, self.recorder.conversation_id), self._open_chosen)

    def action_search_history(self) -> None:
        from rtchat.ui.screens.search import SearchScreen

        if not self._history_off():
            self.push_screen(SearchScreen(self.recorder.store), self._open_chosen)

    def _open_chosen(self, conversation_id: int | None) -> None:
        if conversation_id is not None:
            self.open_conversation(conversation_id)

    def on_conversation_list_deleted(self, event: ConversationList.Deleted) -> None:
        # a name-dispatched handler: @on only works on message pumps, not on a mixin
        if event.conversation_id == self.recorder.conversation_id:
            self.action_new_conversation()

    # --- switching conversations ------------------------------------------------------------

    async def stop_turns(self) -> None:
        """Drop queued prompts and stop the running answer, waiting until it is kept (Done)."""
        while not self._prompts.empty():
            self._prompts.get_nowait()
        if self.runner is not None:
            self.runner.turn.cancel()
        while self.runner is not None:
            await asyncio.sleep(0.01)

    @work(exclusive=True, group="conversation")
    async def action_new_conversation(self) -> None:
        await self.stop_turns()
        self.conversation = Conversation()
        self.recorder.conversation_id = None  # stored on its first prompt: no empty rows in the list
        await self.transcript.clear()
        self.notify("new conversation")
        self.prompt.focus()

    @work(exclusive=True, group="conversation")
    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation and continue it: later turns send its history."""
        store = self.recorder.store
        if store is None:
            return
        await self.stop_turns()
        try:
            record, messages = store.load_conversation(conversation_id)
            conversation = store.to_conversation(conversation_id)
        except (StoreError, KeyError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.conversation = conversation
        self.recorder.conversation_id = conversation_id
        answered_by = [m.model for m in messages if m.role == "assistant" and m.model]
        model = answered_by[-1] if answered_by else record.model
        await self.transcript.clear()
        await self.transcript.load_history([record_factory(m, model) for m in messages])
        if model and (self.target is None or self.target.ref != model):
            self.switch_model(model, protocol=record.protocol)
        self.notify(f"opened “{record.title or '(untitled)'}”", markup=False)
        self.prompt.focus()

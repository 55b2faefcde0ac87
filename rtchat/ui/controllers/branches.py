"""Branches: regenerate an answer, edit and resend a prompt, flip between siblings.

Given what it works on when it is made (the running turn, the history, the
transcript, the input) and how to tell the user; the app's actions, keys, the
palette and slash commands all call these same methods.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from rtchat.store.records import MessageRecord
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.turns import TurnController
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.transcript.messages import AssistantMessage, MessageView
from rtchat.ui.widgets.transcript.transcript import Transcript

Spawn = Callable[[Coroutine[Any, Any, Any], str, bool], object]  # runs work in a worker group (exclusive or not)
Notify = Callable[[str], None]  # a warning the user reads


class BranchController:
    def __init__(
        self, turns: TurnController, history: HistoryController, transcript: Transcript, prompt: PromptInput, notify: Notify, spawn: Spawn, bell: Callable[[], None]
    ) -> None:
        self.turns = turns
        self.history = history
        self.transcript = transcript
        self.prompt = prompt
        self.notify = notify
        self.spawn = spawn
        self.bell = bell

    def regenerate(self, answer_id: int | None = None) -> None:
        """Answer the last prompt (or that of `answer_id`) again; the old answer stays as a sibling."""
        self.prompt.focus()
        self.spawn(self.turns.regenerate(answer_id), "branches", False)

    async def edit_prompt(self, message_id: int | None = None) -> MessageRecord | None:
        """Put the last prompt (or `message_id`'s, or the one the answer `message_id` answers) in
        the input; sending it makes a new branch. Returns that prompt, whose files the caller puts
        back; None (and the reason said) when there is none. The history is read off the loop."""
        try:
            point = await self.history.branch_point("edit", message_id)
        except LookupError as exc:
            self.notify(str(exc))
            return None
        assert point.replaced is not None
        self.turns.editing = point.replaced.id
        self.prompt.load_text(point.replaced.text or point.replaced.transcript)
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()
        return point.replaced

    def cancel_edit(self) -> None:
        if self.turns.editing is not None:
            self.turns.editing = None
            self.prompt.clear()

    def flip_last(self, step: int) -> None:
        """The last answer's sibling `step` away (the `[` and `]` keys)."""
        answers = [a for a in self.transcript.query(AssistantMessage) if a.message_id is not None]
        if answers:
            self.flip(answers[-1].message_id, step)

    def flip(self, message_id: int, step: int) -> None:
        self.spawn(self._flip(message_id, step), "conversation", True)

    async def _flip(self, message_id: int, step: int) -> None:
        await self.turns.stop()
        shown = await self.history.flip(message_id, step)
        if shown is None:
            self.bell()
            return
        for view in self.transcript.query(MessageView):
            if view.message_id == shown:
                view.focus()
                view.scroll_visible(animate=False)
                break

"""The app's branch actions: regenerate an answer, edit and resend a prompt, flip between siblings.

A mixin of `RtChatApp` (app-level glue, like race_launch) so app.py stays thin.
Each is an app action, so keys, the palette and slash commands can all call it:
`action_regenerate`, `action_edit_prompt`, `action_cancel_edit`,
`action_previous_branch` and `action_next_branch` (the last answer's siblings).
Handlers use Textual's `on_<message>` names: `@on` is not read from a mixin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher, EditRequested, RegenerateRequested
from rtchat.ui.widgets.transcript.messages import AssistantMessage, MessageView

if TYPE_CHECKING:
    from rtchat.ui.app import RtChatApp


class BranchActions:
    """Mixed into `RtChatApp`: `self` is the app."""

    def action_regenerate(self: RtChatApp, answer_id: int | None = None) -> None:
        """Answer the last prompt (or that of `answer_id`) again; the old answer stays as a sibling."""
        self.prompt.focus()
        self.run_worker(self.turns.regenerate(answer_id), group="branches")

    def action_edit_prompt(self: RtChatApp, prompt_id: int | None = None) -> None:
        """Put the last prompt (or `prompt_id`) in the input; sending it makes a new branch."""
        self.run_worker(self._edit_prompt(prompt_id), group="branches")

    async def _edit_prompt(self: RtChatApp, prompt_id: int | None) -> None:
        try:
            point = await self.history.branch_point("edit", prompt_id)
        except LookupError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        assert point.replaced is not None
        self.turns.editing = point.replaced.id
        self.prompt.load_text(point.replaced.text or point.replaced.transcript)
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()
        self.notify("editing a prompt: Enter sends it as a new branch (the old one stays); ctrl+c cancels", markup=False, timeout=4)

    def action_cancel_edit(self: RtChatApp) -> None:
        if self.turns.editing is not None:
            self.turns.editing = None
            self.prompt.clear()

    def action_previous_branch(self: RtChatApp) -> None:
        self._flip_last_answer(-1)

    def action_next_branch(self: RtChatApp) -> None:
        self._flip_last_answer(1)

    def _flip_last_answer(self: RtChatApp, step: int) -> None:
        answers = [a for a in self.transcript.query(AssistantMessage) if a.message_id is not None]
        if answers:
            self.flip_branch(answers[-1].message_id, step)

    def flip_branch(self: RtChatApp, message_id: int, step: int) -> None:
        self.run_worker(self._flip(message_id, step), group="conversation", exclusive=True)

    async def _flip(self: RtChatApp, message_id: int, step: int) -> None:
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

    # --- what the transcript's widgets ask for ------------------------------------------------

    def on_branch_switcher_flip(self: RtChatApp, event: BranchSwitcher.Flip) -> None:
        self.flip_branch(event.message_id, event.step)

    def on_regenerate_requested(self: RtChatApp, event: RegenerateRequested) -> None:
        self.action_regenerate(event.message_id)

    def on_edit_requested(self: RtChatApp, event: EditRequested) -> None:
        self.action_edit_prompt(event.message_id)

"""The "‹ 2/3 ›" under a prompt or answer that has siblings, and what branch keys ask for.

A message with siblings (a regenerated answer, an edited prompt, a race's other
answers) shows which one it is; `‹`/`›` by mouse, or `[`/`]` (ctrl+left/right)
on the focused message, flip to the previous or next sibling in place. Widgets
only ask: the app's `BranchController` moves the stored conversation and redraws.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static


class BranchSwitcher(Horizontal):
    """Which sibling a message is, with arrows to flip to its neighbours."""

    DEFAULT_CSS = """
    BranchSwitcher { height: 1; width: auto; color: $text-muted; }
    BranchSwitcher > .branch-arrow { width: 3; content-align: center middle; }
    BranchSwitcher > .branch-arrow:hover { color: $accent; text-style: bold; background: $boost; }
    BranchSwitcher > .branch-count { width: auto; }
    """

    class Flip(Message):
        """Show the sibling `step` away (-1 previous, +1 next) of message `message_id`."""

        def __init__(self, message_id: int, step: int) -> None:
            super().__init__()
            self.message_id = message_id
            self.step = step

    def __init__(self, message_id: int, index: int, count: int) -> None:
        super().__init__(classes="branch-switcher")
        self.message_id = message_id
        self.index = index
        self.count = count

    def compose(self) -> ComposeResult:
        yield Static("‹", classes="branch-arrow previous")
        yield Static(self.label, classes="branch-count")
        yield Static("›", classes="branch-arrow next")

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def on_click(self, event: events.Click) -> None:
        arrow = event.widget
        if isinstance(arrow, Static) and arrow.has_class("branch-arrow"):
            event.stop()
            self.post_message(self.Flip(self.message_id, -1 if arrow.has_class("previous") else 1))


class BranchRequest(Message):
    """A focused message asks for a branch: regenerate this answer, or edit this prompt."""

    def __init__(self, message_id: int | None) -> None:
        super().__init__()
        self.message_id = message_id


class RegenerateRequested(BranchRequest):
    pass


class EditRequested(BranchRequest):
    pass

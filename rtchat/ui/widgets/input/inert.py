"""Input widgets that make what they hold inert, the way the transcript does.

TextArea and Input write their text to the terminal as is: a stored prompt or
system prompt holding `ESC]0;title BEL` or `ESC[2J`, loaded for editing, retitled
the pane and cleared the screen. Every way text gets in passes `terminal_safe`
first: ESC shows as `␛`, other controls as U+FFFD, bidi controls are named, so an
edited prompt sent again carries the visible marks, never the controls.
"""

from __future__ import annotations

from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from rtchat.sanitize import terminal_safe


class InertTextArea(TextArea):
    """The constructor, `load_text` (`text =`) and `edit` (insert, replace, paste and undo all go through it)."""

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(terminal_safe(text), **kwargs)

    def load_text(self, text: str) -> None:
        super().load_text(terminal_safe(text))

    def edit(self, edit: Edit) -> EditResult:
        edit.text = terminal_safe(edit.text)
        return super().edit(edit)


class InertInput(Input):
    """Every value (the constructor's, a paste, typing, `value =`) goes through Textual's validator hook."""

    def validate_value(self, value: str) -> str:
        return terminal_safe(value)

"""A TextArea that makes what it holds inert, the way the transcript does.

TextArea writes its document to the terminal as is: a stored prompt or system
prompt holding `ESC]0;title BEL` or `ESC[2J`, loaded for editing, retitled the
pane and cleared the screen. Every way text gets in (the constructor,
`load_text`/`text =`, and `edit`, which insert, replace, paste and undo all go
through) passes `terminal_safe` first: ESC shows as `␛`, other controls as U+FFFD,
so an edited prompt sent again carries the visible marks, never the controls.
"""

from __future__ import annotations

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from rtchat.sanitize import terminal_safe


class InertTextArea(TextArea):
    """A TextArea whose document never holds a control that could act on the terminal."""

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(terminal_safe(text), **kwargs)

    def load_text(self, text: str) -> None:
        super().load_text(terminal_safe(text))

    def edit(self, edit: Edit) -> EditResult:
        edit.text = terminal_safe(edit.text)
        return super().edit(edit)

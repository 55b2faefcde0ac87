"""Pick one code block of an answer to copy: its language, size and first line per row."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rtchat.ui.controllers.code_blocks import CodeBlock
from rtchat.ui.safe_text import literal


class CodeBlockPicker(ModalScreen[int | None]):
    """Dismisses with the chosen block's index, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="code_block_picker.cancel")]
    DEFAULT_CSS = """
    CodeBlockPicker { align: center middle; }
    CodeBlockPicker > Vertical { width: 76; max-width: 95%; height: auto; max-height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    CodeBlockPicker OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, blocks: list[CodeBlock]) -> None:
        super().__init__()
        self.blocks = blocks

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Copy which code block? Enter copies · Esc", markup=False)
            yield OptionList(*[Option(literal(f"{i + 1}. {b.describe()}")) for i, b in enumerate(self.blocks)], id="code-blocks")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

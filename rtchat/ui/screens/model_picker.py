"""A modal to switch model: filter every configured provider's models, or type any PROVIDER/MODEL."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rtchat.ui.screens.model_choices import ModelChoice, filter_choices, match_reason, model_choices
from rtchat.ui.widgets.input.inert import InertInput

__all__ = ["ModelChoice", "ModelPicker", "filter_choices", "model_choices"]


class ModelPicker(ModalScreen[None]):
    """Posts `Chosen` with the model picked (the app asks for a key if it has none), and closes."""

    class Chosen(Message):
        def __init__(self, choice: ModelChoice) -> None:
            super().__init__()
            self.choice = choice

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="model_picker.cancel"),
        Binding("down", "move(1)", show=False, id="model_picker.down"),
        Binding("up", "move(-1)", show=False, id="model_picker.up"),
    ]
    DEFAULT_CSS = """
    ModelPicker { align: center middle; }
    ModelPicker > Vertical { width: 110; max-width: 96%; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    ModelPicker OptionList { height: 1fr; }
    ModelPicker .hint { color: $text-muted; }
    """

    def __init__(self, choices: list[ModelChoice], current: str) -> None:
        super().__init__()
        self.choices = choices
        self.current = current
        self.shown: list[ModelChoice] = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Model — type to filter or a PROVIDER/MODEL id; Enter chooses", classes="hint")
            yield InertInput(placeholder="filter, or e.g. loopback/lorem@1000", id="model-filter")
            yield OptionList(id="model-list")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()
        self.call_after_refresh(lambda: self._fill(self.query_one(Input).value))  # now the list's width is known

    def _fill(self, query: str) -> None:
        """Rows sized to the list's width (none wraps); with no filter the current model is highlighted."""
        self.shown = filter_choices(self.choices, query)
        options = self.query_one(OptionList)
        inner = options.scrollable_content_region.width or min(110, int(self.app.size.width * 0.96)) - 10
        width = max(20, inner - 3)  # the marker and a scrollbar
        ref_width = min(34, max((len(c.ref) for c in self.shown), default=10))
        options.clear_options()
        needle = query.strip().casefold()
        split = any(len(c.line(ref_width)) > width for c in self.shown)  # one layout for the whole list
        options.add_options([
            Option(Content(("● " if c.ref == self.current else "  ") + c.describe(width, ref_width, match_reason(c, needle) if needle else None, split)))
            for c in self.shown
        ])
        if self.shown:
            refs = [c.ref for c in self.shown]
            options.highlighted = refs.index(self.current) if not query.strip() and self.current in refs else 0

    def on_resize(self) -> None:
        self._fill(self.query_one(Input).value)

    @on(Input.Changed, "#model-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            options.highlighted = max(0, min(len(self.shown) - 1, (options.highlighted or 0) + step))

    @on(Input.Submitted, "#model-filter")
    def _choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if self.shown and options.highlighted is not None:
            self.post_message(self.Chosen(self.shown[options.highlighted]))

    @on(OptionList.OptionSelected, "#model-list")
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.post_message(self.Chosen(self.shown[event.option_index]))

    @on(Chosen)
    def _close(self) -> None:
        self.dismiss()

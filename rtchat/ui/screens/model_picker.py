"""A modal to switch model: fuzzy filter over every configured provider's models."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rtchat.catalog import ModelInfo, Provider
from rtchat.ui.choices import PROTOCOL_NAMES


@dataclass(frozen=True)
class ModelChoice:
    provider: Provider
    info: ModelInfo
    key_set: bool

    @property
    def ref(self) -> str:
        return f"{self.provider.id}/{self.info.id}"

    def describe(self) -> str:
        abilities = []
        if self.info.thinking:
            abilities.append("thinking")
        abilities.append(" ".join(PROTOCOL_NAMES[p] for p in self.info.protocols if p in PROTOCOL_NAMES))
        if self.info.voice:
            abilities.append("voice")
        if not self.provider.needs_key:
            key = "no key needed"
        else:
            key = "key set" if self.key_set else "no key"
        return f"{self.ref:<42} {' · '.join(abilities):<36} {key}"


def model_choices(providers, has_key) -> list[ModelChoice]:
    choices = []
    for provider in providers:
        key_set = (not provider.needs_key) or has_key(provider)
        for info in provider.models:
            choices.append(ModelChoice(provider, info, key_set))
    return choices


def filter_choices(choices: list[ModelChoice], query: str) -> list[ModelChoice]:
    if not query.strip():
        return choices
    matcher = Matcher(query)
    scored = [(matcher.match(f"{c.ref} {c.provider.label}"), i, c) for i, c in enumerate(choices)]
    return [c for score, _, c in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]


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
    ModelPicker > Vertical { width: 100; max-width: 95%; height: 70%; border: thick $primary; background: $surface; padding: 0 1; }
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
            yield Static("Switch model — type to filter, Enter to choose, Esc to cancel", classes="hint")
            yield Input(placeholder="filter models…", id="model-filter")
            yield OptionList(id="model-list")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        self.shown = filter_choices(self.choices, query)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Content(("● " if c.ref == self.current else "  ") + c.describe()), id=c.ref) for c in self.shown])
        if self.shown:
            options.highlighted = 0

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

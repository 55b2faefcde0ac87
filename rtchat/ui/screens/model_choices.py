"""The rows of the model picker: every configured model, the loopback's scripted and fault models
(a fault row marked as such, as `rtchat models` groups them), and a typed id.

A typed `PROVIDER/MODEL` (with a variant such as `loopback/lorem@1000`) is a
row of its own, so any model a provider serves can be chosen. Filtering prefers
plain substring matches (in the id first, then the provider and the description,
which a row then says) and falls back to fuzzy matching only when none match,
so "fault" lists the fault models rather than fuzzy-matching "refusal".
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.fuzzy import Matcher

from rtchat.catalog import PROTOCOL_NAMES, ModelInfo, Provider, is_fault_model, parse_model_ref, scripted_models


@dataclass(frozen=True)
class ModelChoice:
    provider: Provider
    info: ModelInfo
    key_set: bool
    typed: bool = False  # made from what the user typed, not from the catalogue

    @property
    def ref(self) -> str:
        return f"{self.provider.id}/{self.info.id}"

    def key_state(self) -> str:
        if not self.provider.needs_key:
            return "no key needed"
        return "key set" if self.key_set else "no key"

    @property
    def fault(self) -> bool:
        """A loopback fault model (listed by the loopback, not typed): marked as `rtchat models` groups it."""
        return is_fault_model(self.info.id) and not self.typed

    def abilities(self) -> str:
        if self.fault:
            return "fault model"  # it fails on purpose; what it does: its description, `rtchat models`
        parts = ["thinking"] if self.info.thinking else []
        parts.append(" ".join(PROTOCOL_NAMES[p] for p in self.info.protocols if p in PROTOCOL_NAMES))
        if self.info.voice:
            parts.append("voice")
        return " · ".join(parts)

    def line(self, ref_width: int = 32) -> str:
        """The one-line row: id, key state, abilities."""
        ref = self.ref + ("  (typed)" if self.typed else "")
        return f"{ref:<{ref_width}}  {self.key_state():<13}  {self.abilities()}"

    def describe(self, width: int = 100, ref_width: int = 32, why: str | None = None, split: bool | None = None) -> str:
        """The row for `width` cells: one line when it fits (or `split` is False), else the
        abilities on a second line (never cut: the protocols are the point); `why` a row matched below."""
        line = self.line(ref_width)
        if split is None:
            split = len(line) > width
        lines = [line[: line.rindex(self.abilities())].rstrip(), INDENT + self.abilities()] if split else [line]
        if why and split:
            lines[1] += f" · {why}"
        elif why:
            lines.append(f"{INDENT}{why}")
        return "\n".join(cut(text, width) for text in lines)


INDENT = "    "  # a row's second line, under its id


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def model_choices(providers, has_key, extra_loopback: dict[str, str] | None = None) -> list[ModelChoice]:
    """Every model of every provider; `extra_loopback` adds the loopback's scripted (fault) models."""
    choices = []
    for provider in providers:
        key_set = (not provider.needs_key) or has_key(provider)
        for info in provider.models:
            choices.append(ModelChoice(provider, info, key_set))
        if provider.id == "loopback" and extra_loopback:
            choices.extend(ModelChoice(provider, info, key_set) for info in scripted_models(provider, extra_loopback))
    return choices


def typed_choice(choices: list[ModelChoice], query: str) -> ModelChoice | None:
    """A row for a typed `PROVIDER/MODEL` of a known provider that no listed row is."""
    try:
        ref = parse_model_ref(query)
    except ValueError:
        return None
    text = str(ref)
    if any(c.ref == text for c in choices):
        return None
    for c in choices:
        if c.provider.id == ref.provider:
            return ModelChoice(c.provider, c.provider.model(ref.model), c.key_set, typed=True)
    return None


def match_reason(choice: ModelChoice, needle: str) -> str | None:
    """Why a row matched a filter, when not by its id: "matched its description: …"."""
    if needle in choice.ref.casefold():
        return None
    if needle in choice.provider.label.casefold():
        return f"matched its provider: {choice.provider.label}"
    if needle in choice.info.note.casefold():
        return f"matched its description: {choice.info.note}"
    return "a loose match of the id"


def filter_choices(choices: list[ModelChoice], query: str) -> list[ModelChoice]:
    """Rows whose id holds `query` first, then those whose provider or description does (each
    group in catalogue order); loose (fuzzy) id matches only when nothing holds it."""
    query = query.strip()
    if not query:
        return choices
    typed = typed_choice(choices, query)
    needle = query.casefold()

    def rank(choice: ModelChoice) -> int | None:
        if needle in choice.ref.casefold():
            return 0
        if needle in choice.provider.label.casefold():
            return 1
        return 2 if needle in choice.info.note.casefold() else None

    ranked = [(rank(c), i, c) for i, c in enumerate(choices)]
    found = [c for r, _, c in sorted((t for t in ranked if t[0] is not None), key=lambda t: (t[0], t[1]))]
    if not found and typed is None:
        matcher = Matcher(query)
        scored = [(matcher.match(f"{c.ref} {c.provider.label}"), i, c) for i, c in enumerate(choices)]
        found = [c for score, _, c in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
    return ([typed] if typed else []) + found

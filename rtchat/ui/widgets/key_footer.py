"""The chat's footer: the keys that fit the width, the focused message's own first.

Textual's footer shows every `show=True` binding in one fixed order and cuts the
rest at the right edge: at 80 columns a focused message lost `r`, `e`, `[`, `]`,
and at 120 columns the same seven keys left half the line empty. Here the keys
are laid out in the order a user needs them (the focused widget's, then the
everyday app keys, then `MORE`) and each is shown only when it fits whole.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from rtchat.compat import footer_bindings_ready, footer_key

ALWAYS_FIRST = ("stop_sharing",)  # present only while sharing; then before everything, at any width
FOCUSED_FIRST = ("regenerate_message", "edit_message", "previous_branch", "next_branch")  # a message's branch keys
MORE = (  # app keys shown after the everyday ones, while the width has room
    "new_conversation", "cycle_effort", "toggle_all_thinking", "edit_system_prompt",
    "search_history", "pick_protocol", "copy_last_answer", "run_bench",
)
FOOTER_LABELS = {"previous_branch": "Branch", "next_branch": "Branch"}  # "[ Branch ] Branch" fits where the long words do not


def key_width(key_display: str, description: str) -> int:
    """Columns a compact footer key takes: the key, a space, its words, then one column of margin."""
    return len(key_display) + 1 + len(description) + 1


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)  # ctrl+p is named in the welcome and F1
        self._laid_out_for = 0

    def label(self, binding: Binding) -> str:
        return FOOTER_LABELS.get(binding.id or "", binding.description)

    def chosen(self, width: int) -> list[tuple[Binding, bool, str, str]]:
        """(binding, enabled, tooltip, key shown) for each key that fits `width`, in footer order."""
        focused = self.screen.focused
        rows = list(self.screen.active_bindings.values())
        own = [(b, e, t) for node, b, e, t in rows if node is focused and node not in (self.app, self.screen)]
        own.sort(key=lambda row: FOCUSED_FIRST.index(row[0].id) if row[0].id in FOCUSED_FIRST else len(FOCUSED_FIRST))
        wanted = [(b, e, t) for node, b, e, t in rows if b.id in ALWAYS_FIRST]  # privacy first: a running share's stop key
        wanted += [row for row in own if row[0].show or row[0].id in FOCUSED_FIRST]
        wanted += [(b, e, t) for node, b, e, t in rows if node is self.app and b.show]
        wanted += sorted(
            ((b, e, t) for node, b, e, t in rows if node is self.app and b.id in MORE), key=lambda row: MORE.index(row[0].id)
        )
        shown, used, actions = [], 0, set()
        for binding, enabled, tooltip in wanted:
            if binding.action in actions:
                continue
            display = self.app.get_key_display(binding)
            needed = key_width(display, self.label(binding))
            if used + needed <= width:
                shown.append((binding, enabled, tooltip, display))
                used += needed
                actions.add(binding.action)
        return shown

    def compose(self) -> ComposeResult:
        if not footer_bindings_ready(self):
            return
        self._laid_out_for = self.app.size.width
        key = footer_key()
        for binding, enabled, tooltip, display in self.chosen(self._laid_out_for):
            yield key(
                binding.key, display, self.label(binding), binding.action,
                disabled=not enabled, tooltip=tooltip or binding.tooltip or binding.description,
            ).data_bind(compact=Footer.compact)

    def on_resize(self) -> None:
        if footer_bindings_ready(self) and self.app.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)

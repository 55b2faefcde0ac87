"""Everything around the prompt: the system prompt line, pending attachment chips, the
slash completion popup and the input itself, stacked above the status line."""

from __future__ import annotations

from textual import on
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from rtchat.attachments import Attachment
from rtchat.ui.controllers.slash import Sources, completions
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.input.chips import ChipRow
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.input.slash_popup import SlashPopup

SYSTEM_PREVIEW = 60  # characters of the system prompt the line shows


class Composer(Vertical):
    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer #system-line { height: 1; color: $text-muted; padding: 0 1; display: none; }
    Composer #system-line.shown { display: block; }
    Composer #pending { padding: 0 1; }
    """

    def __init__(self, prompt: PromptInput, sources: Sources, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prompt = prompt
        self.sources = sources
        self.popup = SlashPopup(id="slash-popup")
        self.pending = ChipRow(removable=True, id="pending")
        self.system_line = Static("", id="system-line")
        prompt.popup = self.popup

    def compose(self):
        yield self.system_line
        yield self.popup
        yield self.pending
        yield self.prompt

    @on(TextArea.Changed)
    def _offer(self, event: TextArea.Changed) -> None:
        if event.text_area is self.prompt:
            self.popup.offer(completions(self.prompt.text, self.sources))

    async def show_pending(self, attachments: list[Attachment]) -> None:
        await self.pending.show(attachments)

    def show_system(self, system: str | None, persona: str | None = None) -> None:
        """One muted line naming the conversation's system prompt (and the persona it came from)."""
        self.system_line.set_class(bool(system), "shown")
        if not system:
            self.system_line.update("")
            return
        flat = " ".join(system.split())
        preview = flat if len(flat) <= SYSTEM_PREVIEW else flat[: SYSTEM_PREVIEW - 1] + "…"
        source = f"persona {persona} · " if persona else ""
        self.system_line.update(literal(f"system ({source}{len(system)} chars): {preview}"))

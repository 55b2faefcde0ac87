"""One widget per transcript entry: the user's prompt, an answer, an error, a notice.

Each is focusable so it can be copied with a key; all model-provided text is
shown literally (see rtchat.ui.safe_text).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from rtchat.answer import Answer
from rtchat.attachments import Attachment
from rtchat.events import Usage
from rtchat.ui.bindings import MESSAGE_BINDINGS
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher, EditRequested, RegenerateRequested
from rtchat.ui.widgets.input.chips import ChipRow
from rtchat.ui.widgets.transcript.streaming_markdown import MarkdownPiece, StreamingMarkdown
from rtchat.ui.widgets.transcript.thinking import ThinkingPanel


REASON_WORDS = {
    "interrupted": "interrupted",
    "length": "cut short: the output limit was reached",
    "refusal": "the model refused",
    "error": "stopped by an error",
}


class MessageView(Vertical, can_focus=True):
    """A focusable transcript entry with the text a copy puts on the clipboard."""

    BINDINGS = MESSAGE_BINDINGS
    message_id: int | None = None  # its row in the history, once stored
    switcher: BranchSwitcher | None = None  # shown when it has siblings (see branch_switcher)
    can_regenerate = False
    can_edit = False
    DEFAULT_CSS = """
    MessageView { height: auto; padding: 0 1; margin: 0 0 1 0; }
    MessageView:focus { background: $boost; }
    MessageView .label { color: $text-muted; text-style: bold; }
    """

    class Copied(Message):
        """A message's text went to the clipboard; the app tells the user."""

        def __init__(self, chars: int) -> None:
            super().__init__()
            self.chars = chars

    class LeaveRequested(Message):
        """The user wants the input box back (i, Escape, or Down past the last message)."""

    def copy_text(self) -> str:
        return ""

    def action_copy_message(self) -> None:
        text = self.copy_text()
        self.app.copy_to_clipboard(text)
        self.post_message(self.Copied(len(text)))

    def action_toggle_thinking(self) -> None:
        for panel in self.query(ThinkingPanel):
            panel.collapsed = not panel.collapsed

    def action_focus_input(self) -> None:
        self.post_message(self.LeaveRequested())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Branch keys act on stored messages only (an answer still streaming has no row yet)."""
        if action in ("previous_branch", "next_branch"):
            return self.switcher is not None
        if action == "regenerate_message":
            return self.can_regenerate and self.message_id is not None
        if action == "edit_message":
            return self.can_edit and self.message_id is not None
        return True

    def action_previous_branch(self) -> None:
        if self.switcher is not None and self.message_id is not None:
            self.post_message(BranchSwitcher.Flip(self.message_id, -1))

    def action_next_branch(self) -> None:
        if self.switcher is not None and self.message_id is not None:
            self.post_message(BranchSwitcher.Flip(self.message_id, 1))

    def action_regenerate_message(self) -> None:
        self.post_message(RegenerateRequested(self.message_id))

    def action_edit_message(self) -> None:
        self.post_message(EditRequested(self.message_id))

    def _sibling(self, step: int) -> "MessageView | None":
        siblings = [w for w in self.parent.children if isinstance(w, MessageView)] if self.parent else []
        index = siblings.index(self) + step if self in siblings else -1
        return siblings[index] if 0 <= index < len(siblings) else None

    def action_focus_previous_message(self) -> None:
        if target := self._sibling(-1):
            target.focus()
            target.scroll_visible()

    def action_focus_next_message(self) -> None:
        if target := self._sibling(1):
            target.focus()
            target.scroll_visible()
        else:
            self.post_message(self.LeaveRequested())


async def show_branch(view: MessageView, message_id: int | None, index: int, count: int) -> None:
    """Give a transcript entry its stored id and, with siblings, its switcher (after its label)."""
    view.message_id = message_id
    for old in view.query(BranchSwitcher):
        await old.remove()
    view.switcher = None
    if message_id is not None and count > 1:
        view.switcher = BranchSwitcher(message_id, index, count)
        if view.is_mounted:
            labels = view.query(".label")
            await view.mount(view.switcher, after=labels.first() if labels else None)
    view.refresh_bindings()


class UserMessage(MessageView):
    DEFAULT_CSS = """
    UserMessage { border-left: thick $primary; }
    """
    can_edit = True

    def __init__(self, text: str, attachments: list[Attachment] | None = None) -> None:
        super().__init__()
        self.text = text
        self.attachments = list(attachments or [])

    def compose(self) -> ComposeResult:
        yield Static("you", classes="label")
        if self.switcher is not None:
            yield self.switcher
        if self.attachments:
            yield ChipRow(self.attachments, classes="files")
        yield Static(literal(self.text), classes="user-text")

    def set_text(self, text: str) -> None:
        """A spoken prompt: its transcript replaces the placeholder once it arrives."""
        self.text = text
        if self.is_mounted:
            self.query_one(".user-text", Static).update(literal(text))

    def copy_text(self) -> str:
        return self.text


class ErrorMessage(MessageView):
    """A failed turn, in words, with what to do; the prompt stays in the transcript."""

    DEFAULT_CSS = """
    ErrorMessage { border-left: thick $error; }
    ErrorMessage .label { color: $error; }
    """

    def __init__(self, text: str, kind: str = "error") -> None:
        super().__init__(classes="error")
        self.text = text
        self.kind = kind

    def compose(self) -> ComposeResult:
        yield Static(f"error · {self.kind}", classes="label")
        yield Static(literal(self.text), classes="error-text")

    def copy_text(self) -> str:
        return self.text


class NoticeMessage(MessageView):
    DEFAULT_CSS = """
    NoticeMessage { color: $text-muted; border-left: thick $warning; margin: 0 0 1 0; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(literal(self.text))

    def copy_text(self) -> str:
        return self.text


class AssistantMessage(MessageView):
    """An answer: optional thinking panel, then Markdown; streams when `streaming`."""

    DEFAULT_CSS = """
    AssistantMessage { border-left: thick $accent; }
    AssistantMessage .status { color: $warning; text-style: bold; }
    AssistantMessage .waiting { color: $text-muted; }
    AssistantMessage.hide-thinking ThinkingPanel { display: none; }
    """
    can_regenerate = True

    def __init__(
        self,
        model: str,
        text: str = "",
        thinking: str = "",
        streaming: bool = False,
        effort: str | None = None,
        redacted: bool = False,
    ) -> None:
        super().__init__()
        self.model = model
        self.streaming = streaming
        self.effort = effort
        self.thinking: ThinkingPanel | None = None
        if thinking or redacted:
            self.thinking = ThinkingPanel(effort, thinking, finished=not streaming)
            if redacted:
                self.thinking.mark_redacted()
        self.body: StreamingMarkdown | MarkdownPiece = StreamingMarkdown() if streaming else MarkdownPiece(text)
        self._text = text
        self.status = Static("", classes="status")
        self.status.display = False
        self.reason: str | None = None
        self._answer: Callable[[], Answer] | None = None  # a streaming answer's own fold
        self._thinking_grew = False

    def compose(self) -> ComposeResult:
        yield Static(literal(self.model), classes="label")
        if self.switcher is not None:
            yield self.switcher
        if self.thinking is not None:
            yield self.thinking
        yield self.body
        yield self.status

    @property
    def text(self) -> str:
        return self.body.source if isinstance(self.body, StreamingMarkdown) else self._text

    def copy_text(self) -> str:
        return self.text

    # --- streaming, driven by rtchat.ui.controllers.turn_runner.TurnRunner -------------------------

    def _ensure_thinking(self) -> ThinkingPanel:
        if self.thinking is None:
            self.thinking = ThinkingPanel(self.effort)
            self.mount(self.thinking, before=self.body)
        return self.thinking

    def follow(self, answer: Callable[[], Answer]) -> None:
        """Thinking is drawn from the turn's answer (its blocks), read at most once a frame."""
        self._answer = answer

    def thinking_grew(self, delta: bool = True) -> None:
        """The answer's thinking changed (`delta`: a piece of it arrived; else a redacted block)."""
        if self.status.has_class("waiting"):
            self.show_waiting(None)
        panel = self._ensure_thinking()
        if delta:
            panel.deltas += 1
        self._thinking_grew = True

    def _draw_thinking(self) -> None:
        if self._thinking_grew and self._answer is not None and self.thinking is not None:
            self._thinking_grew = False
            self.thinking.show(self._answer().thinking)

    def append_text(self, text: str) -> None:
        if self.thinking is not None and self.thinking.state == "thinking":
            self._draw_thinking()
            self.thinking.settle()
        if self.status.has_class("waiting"):
            self.show_waiting(None)
        self.body.append(text)

    async def keep_up(self, stop: Callable[[], bool]) -> None:
        """Wait while the screen is far behind the text received, until `stop()` (see StreamingMarkdown.keep_up)."""
        if isinstance(self.body, StreamingMarkdown):
            await self.body.keep_up(stop)

    def show_waiting(self, seconds: float | None) -> None:
        """A sign of life until the first token: "waiting for the first token · 1.2 s"."""
        waiting = seconds is not None and self.streaming and not self.text and self.thinking is None
        if waiting:
            self.status.update(f"waiting for the first token · {seconds:.1f} s")
        if waiting != self.status.has_class("waiting"):
            self.status.set_class(waiting, "waiting")
            self.status.display = waiting

    def set_usage(self, usage: Usage) -> None:
        if self.thinking is not None and usage.reasoning_tokens:
            self.thinking.reasoning_tokens = usage.reasoning_tokens

    async def flush(self) -> None:
        if self.thinking is not None:
            self._draw_thinking()
            self.thinking.flush()
        if isinstance(self.body, StreamingMarkdown):
            await self.body.flush()

    async def finish(self, reason: str) -> None:
        """The turn ended: render everything, freeze the thinking clock, say why if not complete."""
        self.show_waiting(None)
        self.streaming = False
        self.reason = reason
        if self.thinking is not None:
            self._draw_thinking()
            self.thinking.settle(interrupted=reason == "interrupted")
        self.mark(reason)  # said at once; the rest of a long answer may take a few frames to lay out
        if isinstance(self.body, StreamingMarkdown):
            await self.body.flush(final=True)

    def mark(self, reason: str, detail: str | None = None) -> None:
        """Say under the answer why it ended, unless it simply completed."""
        self.reason = reason
        if reason == "complete":
            self.status.display = False  # Ctrl-C came after the last word: the early "interrupted" goes
            return
        words = REASON_WORDS.get(reason, reason)
        self.status.update(literal(f"{words}: {detail}" if detail else words))
        self.status.display = True

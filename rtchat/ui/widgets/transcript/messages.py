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

from rtchat.answer import Answer, tool_result_of
from rtchat.attachments import Attachment
from rtchat.conversation import ToolRound
from rtchat.events import ToolCallDelta, ToolCallRequest, ToolCallResult, Usage
from rtchat.ui.bindings import MESSAGE_BINDINGS
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher, EditRequested, RegenerateRequested
from rtchat.ui.widgets.input.chips import ChipRow
from rtchat.ui.widgets.status.status_facts import waiting_words
from rtchat.ui.widgets.transcript.streaming_markdown import MarkdownPiece, StreamingMarkdown
from rtchat.ui.widgets.transcript.thinking import ThinkingPanel
from rtchat.ui.widgets.transcript.tool_card import ToolCard


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
    """An answer: optional thinking panel, then Markdown; streams when `streaming`.

    An answer that calls tools is drawn in the order it happened: the text before a call,
    the call's card (one per call), then the text after the results in a new Markdown
    segment below the cards, and so on for each tool step. `body` is the segment that
    grows; what is stored is the turn's own fold (`Answer.rounds` and its text)."""

    DEFAULT_CSS = """
    AssistantMessage { border-left: thick $accent; }
    AssistantMessage .status { color: $warning; text-style: bold; }
    AssistantMessage .waiting { color: $text-muted; }
    AssistantMessage.hide-thinking ThinkingPanel { display: none; }
    """
    can_regenerate = True
    can_edit = True  # `e` edits the prompt this answer answers

    def __init__(
        self,
        model: str,
        text: str = "",
        thinking: str = "",
        streaming: bool = False,
        effort: str | None = None,
        redacted: bool = False,
        rounds: list[ToolRound] | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.rounds = list(rounds or [])  # a stored answer's tool steps, drawn before its text
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
        self.segments: list[StreamingMarkdown | MarkdownPiece] = [self.body]  # the answer's text, one per tool step
        self.cards: dict[str, ToolCard] = {}  # this answer's tool calls by id
        self._step_cards: dict[int, ToolCard] = {}  # the open step's calls by stream index
        self._after_cards = False  # cards came after the growing segment: text starts a new one

    def compose(self) -> ComposeResult:
        yield Static(literal(self.model), classes="label")
        if self.switcher is not None:
            yield self.switcher
        if self.thinking is not None:
            yield self.thinking
        for step in self.rounds:
            if step.text.strip():
                yield MarkdownPiece(step.text)
            results = {result.call_id: result for result in step.results}
            for call in step.calls:
                yield ToolCard.finished(call, results.get(call.id))
        yield self.body
        yield self.status

    @property
    def text(self) -> str:
        """The answer's words: every step's text in order (a copy takes them all)."""
        parts = [step.text for step in self.rounds]
        parts += [segment.source if isinstance(segment, StreamingMarkdown) else self._text for segment in self.segments]
        parts = [part for part in parts if part]
        return parts[0] if len(parts) == 1 else "\n\n".join(parts)

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
            answer = self._answer()
            self.thinking.show([*(block for step in answer.rounds for block in step.thinking), *answer.thinking])  # every step's

    def append_text(self, text: str) -> None:
        if self.thinking is not None and self.thinking.state == "thinking":
            self._draw_thinking()
            self.thinking.settle()
        if self.status.has_class("waiting"):
            self.show_waiting(None)
        if self._after_cards:  # the text after tool results: a new segment below the cards
            self._after_cards = False
            self._step_cards = {}
            self.body = StreamingMarkdown()
            self.segments.append(self.body)
            self.mount(self.body, before=self.status)
        self.body.append(text)

    # --- tool calls, driven by the same runner ------------------------------------------------

    async def tool_delta(self, event: ToolCallDelta) -> ToolCard:
        """A fragment of a call: its card appears at this point of the answer and grows."""
        card = self._step_cards.get(event.index)
        if card is None or (event.id and card.call_id and event.id != card.call_id):
            card = await self._add_card(ToolCard(event.index))
            self._step_cards[event.index] = card
        card.grow(event.id, event.name, event.arguments)
        if card.call_id:
            self.cards.setdefault(card.call_id, card)
        return card

    async def tool_requested(self, event: ToolCallRequest) -> ToolCard:
        """The whole call, about to be approved (a wire that streams no fragments gets its card here)."""
        card = self.cards.get(event.id)
        if card is None:
            card = await self._add_card(ToolCard(call_id=event.id, name=event.name))
            self.cards[event.id] = card
        card.requested(event.server, event.name, event.arguments)
        return card

    def tool_result(self, event: ToolCallResult) -> ToolCard | None:
        """A call's result; results come once the step's stream ended, so a fragment after one starts the next step."""
        self._step_cards = {}
        card = self.cards.get(event.id)
        if card is not None:
            card.show_result(tool_result_of(event))
        return card

    def active_card(self) -> ToolCard | None:
        """The call asked or running now, if any (the status line's "calling time_now · 1.2 s")."""
        return next((card for card in self.cards.values() if card.state in ("asking", "running")), None)

    async def _add_card(self, card: ToolCard) -> ToolCard:
        if self.status.has_class("waiting"):
            self.show_waiting(None)
        if self.thinking is not None and self.thinking.state == "thinking":
            self._draw_thinking()
            self.thinking.settle()  # the model thought, then called: the thinking is over
        if not self._after_cards and isinstance(self.body, StreamingMarkdown):
            await self.body.flush(final=True)  # the text before the call is all there is of it
        self._after_cards = True
        await self.mount(card, before=self.status)
        return card

    async def keep_up(self, stop: Callable[[], bool]) -> None:
        """Wait while the screen is far behind the text received, until `stop()` (see StreamingMarkdown.keep_up)."""
        if isinstance(self.body, StreamingMarkdown):
            await self.body.keep_up(stop)

    def show_waiting(self, seconds: float | None) -> None:
        """A sign of life until the first token, in the status line's words: "waiting for the first token · 1.2 s"."""
        waiting = seconds is not None and self.streaming and not self.text and self.thinking is None and not self.cards and not self._after_cards
        if waiting:
            self.status.update(waiting_words(seconds))
        if waiting != self.status.has_class("waiting"):
            self.status.set_class(waiting, "waiting")
            self.status.display = waiting

    def set_thinking_time(self, thinking_ms: float | None) -> None:
        if self.thinking is not None:
            self.thinking.timed(thinking_ms)

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
        for card in self.cards.values():
            card.cancel()  # a call that got no result was stopped with the turn
        for card in self._step_cards.values():
            card.cancel()
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

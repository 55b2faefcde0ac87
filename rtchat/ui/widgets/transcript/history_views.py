"""Transcript widgets for a past conversation, from memory or from the history store.

Widgets are made lazily (one factory per message) so a long conversation
opens at the cost of its last page; see Transcript.load_history.
"""

from __future__ import annotations

from rtchat.conversation import ChatMessage, ThinkingBlock, ToolRound
from rtchat.store import MessageRecord
from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher
from rtchat.ui.widgets.transcript.messages import AssistantMessage, MessageView, UserMessage
from rtchat.ui.widgets.transcript.transcript import WidgetFactory


def every_thought(rounds: list[ToolRound], thinking: list[ThinkingBlock]) -> tuple[str, bool]:
    """An answer's thinking as its panel shows it: every tool step's, then its own; and whether a block is redacted."""
    blocks = [*(block for step in rounds for block in step.thinking), *thinking]
    return "".join(block.text for block in blocks), any(block.redacted for block in blocks)


def stored_reason(record: MessageRecord) -> str:
    """The end of a stored answer in the words `AssistantMessage.mark` knows."""
    if record.status in ("interrupted", "error"):
        return record.status
    if record.status == "streaming":  # another rtchat is still writing it
        return "streaming elsewhere"
    return record.finish_reason if record.finish_reason in ("length", "refusal") else "complete"


def record_factory(record: MessageRecord, default_model: str) -> WidgetFactory:
    """A stored message as a widget, with its interrupted/error mark, its thinking and,
    when it has siblings, its branch switcher."""
    text = record.text or record.transcript
    if record.role == "user":
        said = record.transcript or text  # a spoken prompt: its words, not the "[spoken, N s]" placeholder
        return lambda: stored(UserMessage(said, record.attachments), record)
    thinking, redacted = every_thought(record.rounds, record.thinking)
    reason = stored_reason(record)
    detail = record.error if reason == "error" else None

    rounds = list(record.rounds)
    if record.open_calls:  # calls the turn was stopped before answering: shown as cancelled
        rounds.append(ToolRound(calls=list(record.open_calls)))

    def make() -> AssistantMessage:
        view = AssistantMessage(record.model or default_model, text, thinking=thinking, redacted=redacted, rounds=rounds)
        if view.thinking is not None:  # titled as it was live: "thought for 0.3 s · 27 tokens · effort high"
            view.thinking.recall(record.metrics.get("thinking_ms"), record.reasoning_tokens, record.metrics.get("effort"))
        view.mark(reason, detail)
        return stored(view, record)

    return make


def stored(view: MessageView, record: MessageRecord) -> MessageView:
    view.message_id = record.id
    index, count = record.branch
    if count > 1:
        view.switcher = BranchSwitcher(record.id, index, count)
    return view


def message_factory(message: ChatMessage, model: str) -> WidgetFactory:
    if message.role == "user":
        return lambda: UserMessage(message.text, message.attachments)
    thinking, redacted = every_thought(message.rounds, message.thinking)
    return lambda: AssistantMessage(model, message.text, thinking=thinking, redacted=redacted, rounds=message.rounds)

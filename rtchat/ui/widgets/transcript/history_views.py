"""Transcript widgets for a past conversation, from memory or from the history store.

Widgets are made lazily (one factory per message) so a long conversation
opens at the cost of its last page; see Transcript.load_history.
"""

from __future__ import annotations

from rtchat.conversation import ChatMessage
from rtchat.store import MessageRecord
from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher
from rtchat.ui.widgets.transcript.messages import AssistantMessage, MessageView, UserMessage
from rtchat.ui.widgets.transcript.transcript import WidgetFactory


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
    thinking = "".join(block.text for block in record.thinking)
    redacted = any(block.redacted for block in record.thinking)
    reason = stored_reason(record)
    detail = record.error if reason == "error" else None

    def make() -> AssistantMessage:
        view = AssistantMessage(record.model or default_model, text, thinking=thinking, redacted=redacted)
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
    thinking = "".join(block.text for block in message.thinking)
    redacted = any(block.redacted for block in message.thinking)
    return lambda: AssistantMessage(model, message.text, thinking=thinking, redacted=redacted, rounds=message.rounds)

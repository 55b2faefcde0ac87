"""Answers in tests: feeding a store writer as a turn does, and what a provider is sent back.

A turn folds its events once (rtchat.answer) and hands the writer that answer;
`Feed` does the same with a fold of its own, so a writer test states events.
"""

from __future__ import annotations

from rtchat.answer import AnswerBuilder
from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Event
from rtchat.store.writer import AnswerWriter
from rtchat.wire import anthropic
from rtchat.wire.base import RequestOptions


class Feed:
    """`feed(event)`: fold one event and hand the writer the answer so far."""

    def __init__(self, writer: AnswerWriter) -> None:
        self.writer = writer
        self.fold = AnswerBuilder(writer.provider)

    def __call__(self, event: Event) -> None:
        self.fold.apply(event)
        self.writer.update(self.fold.answer, final=isinstance(event, Done))


def answer_of(*events: Event, provider: str = "p") -> AnswerBuilder:
    """A turn's fold of these events (its `.answer` is what a recorder is handed)."""
    fold = AnswerBuilder(provider)
    for event in events:
        fold.apply(event)
    return fold


def sent_blocks(answer_message: ChatMessage) -> list[dict]:
    """The assistant content Anthropic would receive for this answer in the next request."""
    conversation = Conversation()
    conversation.add_user("q")
    conversation.messages.append(answer_message)
    conversation.add_user("next")
    request = anthropic.build_request("http://127.0.0.1:1", "k", "m", conversation, RequestOptions(effort="low", provider_id="anthropic"))
    return request.body["messages"][1]["content"]

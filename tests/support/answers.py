"""Feeding a store writer as a turn does, for tests of the store that have no turn.

A turn folds its events once (rtchat.answer) and hands the writer that answer;
`Feed` does the same with a fold of its own, so a writer test states events.
"""

from __future__ import annotations

from rtchat.answer import AnswerBuilder
from rtchat.events import Done, Event
from rtchat.store.writer import AnswerWriter


class Feed:
    """`feed(event)`: fold one event and hand the writer the answer so far."""

    def __init__(self, writer: AnswerWriter) -> None:
        self.writer = writer
        self.fold = AnswerBuilder(writer.provider)

    def __call__(self, event: Event) -> None:
        self.fold.apply(event)
        self.writer.update(self.fold.answer, final=isinstance(event, Done))

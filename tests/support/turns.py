"""Run one turn of a session to the end (any protocol), and read what it yielded; a scripted turn
for tests whose subject is what consumes a turn (the screen, the history), not the wire."""

from __future__ import annotations

from rtchat.catalog import parse_model_ref
from rtchat.config import load_config
from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Error, Event, TextDelta
from rtchat.session import Session
from rtchat.target import Target
from rtchat.turns.base import QueuedTurn


class ScriptedTurn(QueuedTurn):
    """The provider's side, faked: hands out the given events, then ends with `done`."""

    def __init__(self, target: Target, conversation: Conversation, events: list[Event], done: Done) -> None:
        super().__init__(target, conversation)
        self.script, self.done = events, done

    async def _produce(self) -> None:
        for event in self.script:
            self.put(event)
        self.finish(self.done)


def anthropic_target() -> Target:
    """A resolved Anthropic model that is never called (its thinking blocks go back signed)."""
    provider = load_config().catalog.provider("anthropic")
    ref = parse_model_ref("anthropic/claude-sonnet-4-5")
    return Target(provider, ref.model, provider.model(ref.model), "http://127.0.0.1:1")


async def run_turn(session: Session, target, conversation: Conversation, prompt: str, *, protocol: str = "sse", effort: str | None = None, cancel_after: int | None = None, keep: bool = True):
    """One turn over `protocol`; returns (events, turn). `cancel_after` text deltas, then cancel().

    With `keep`, the reply text joins the conversation as the assistant's message."""
    conversation.add_user(prompt)
    turn = session.turn(target, conversation, effort, protocol=protocol)
    events = []
    async for event in turn.events():
        events.append(event)
        if cancel_after is not None and sum(isinstance(e, TextDelta) for e in events) == cancel_after:
            turn.cancel()
    text = text_of(events)
    if keep and text:
        conversation.messages.append(ChatMessage("assistant", text))
    return events, turn


async def cancel_at_first_text(session: Session, target, conversation: Conversation, protocol: str) -> tuple[list, list]:
    """Ask for "write" and cancel at the first text: (events before, events after the cancel)."""
    conversation.add_user("write")
    turn = session.turn(target, conversation, protocol=protocol)
    before, after = [], []
    async for event in turn.events():
        (after if turn.cancel_requested_at is not None else before).append(event)
        if isinstance(event, TextDelta):
            turn.cancel()
    return before, after


def text_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def done_of(events) -> str:
    assert isinstance(events[-1], Done), events[-1]
    return events[-1].reason


def errors_of(events) -> list[Error]:
    return [e for e in events if isinstance(e, Error)]

"""One answer on the screen too: what the answer widget shows is what is stored and sent back.

For any event sequence, a turn streams through the app's real `TurnRunner` into a
real `AssistantMessage` under `App.run_test()`, and through the real `TurnService`
into a real SQLite history. The widget's source text and thinking, the stored row
and the next request's blocks must agree. The only fake is at the edge: the
provider, a turn that hands out the given events.
"""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from rtchat.events import Done, Error, Event, RedactedThinking, TextDelta, ThinkingDelta, ThinkingSignature, Usage
from rtchat.conversation import Conversation
from rtchat.history import TurnRecorder
from rtchat.run import TurnService
from rtchat.store import LEAF, Store
from rtchat.ui.controllers.turn_runner import TurnRunner
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.answers import sent_blocks
from tests.support.turns import ScriptedTurn, anthropic_target

words = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs")), min_size=1, max_size=10)
content_events = st.one_of(
    words.map(TextDelta),
    words.map(ThinkingDelta),
    words.map(ThinkingSignature),
    words.map(RedactedThinking),
    st.builds(Usage, st.none() | st.integers(0, 10_000), st.none() | st.integers(0, 10_000)),
)
endings = st.sampled_from(["complete", "interrupted", "length", "error"]).map(Done)


class Host(App):
    """Just the answer widget, and what the runner asks of its host (the TurnController's part)."""

    def __init__(self, view: AssistantMessage) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield self.view

    def every(self, seconds, callback):
        return self.set_interval(seconds, callback)

    async def show_error(self, error: Error) -> None:
        pass

    async def show_notice(self, notice) -> None:
        pass

    def turn_progress(self, state: str, turn) -> None:
        pass


async def shown_and_stored(db, events: list[Event], done: Done):
    """Run the turn into the widget and the store; returns (widget text, widget thinking, answer, stored message)."""
    store = Store.open(db)
    recorder = TurnRecorder(store, warn=lambda text: None)
    service = TurnService(recorder)
    target = anthropic_target()
    conversation = Conversation()
    conversation.add_user("q")
    await service.prompt("q", target, "sse", None)
    turn = ScriptedTurn(target, conversation, events, done)
    view = AssistantMessage(target.ref, streaming=True)
    app = Host(view)
    async with app.run_test():
        runner = TurnRunner(turn, view, app)
        answer = await runner.run(service, LEAF)
        await app.workers.wait_for_complete()
        shown_text = view.text
        shown_thinking = None if view.thinking is None else str(view.thinking.text_body.content)  # what the panel draws
    recorder.close()
    with Store.open(db) as reopened:
        conversation_id = reopened.last_conversation_id()
        stored = [] if conversation_id is None else reopened.to_conversation(conversation_id).messages
    return shown_text, shown_thinking, answer, stored


@settings(max_examples=40, deadline=None)
@given(events=st.lists(content_events, max_size=20), ending=endings)
def test_the_screen_shows_what_is_stored_and_sent_back(tmp_path_factory, events, ending):
    db = tmp_path_factory.mktemp("db") / "history.db"
    shown_text, shown_thinking, answer, stored = asyncio.run(shown_and_stored(db, events, ending))

    assert shown_text == answer.text
    words = "".join(block.text for block in answer.thinking if block.redacted is None)
    if words:
        assert shown_thinking == words  # every readable block's words, in order, in the one panel
    elif any(block.redacted is not None for block in answer.thinking):
        assert shown_thinking is not None and shown_thinking.startswith("[redacted thinking")
    else:
        assert not shown_thinking  # a bare signature has no words to show (it is still sent back)

    message = answer.message()
    if message is None:
        assert stored == [], "a first turn with no answer leaves no conversation behind"
        return
    stored_answer = stored[-1]
    assert (stored_answer.role, stored_answer.text, stored_answer.thinking) == ("assistant", shown_text, list(answer.thinking))
    assert sent_blocks(stored_answer) == sent_blocks(message)

"""The app reopens a stored tool answer: what its next turn sends is the answer's steps exactly,
and history search shows a hit in a tool result as one. A real SQLite file in a tmp data dir,
the real app under `run_test`."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from rtchat.answer import fold
from rtchat.store import Store, default_path
from rtchat.ui.screens.search import SearchScreen
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.tool_answers import store_tool_answer, tool_answer_events
from tests.support.ui import make_app, ready, wait_for

SIZE = (120, 40)

pytestmark = pytest.mark.usefixtures("isolated")


def stored_tool_answer() -> int:
    with Store.open(default_path()) as store:
        conversation_id = store.create_conversation("loopback/echo")
        store.add_user_message(conversation_id, "what time is it in Tokyo?")
        store_tool_answer(store, conversation_id, provider="anthropic")
    return conversation_id


async def test_reopening_a_tool_answer_in_the_app_restores_its_steps_for_the_next_turn():
    conversation_id = stored_tool_answer()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.open_conversation(conversation_id).wait()
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage))
        assert app.state.conversation.messages[1] == fold(tool_answer_events(), "anthropic").message()
        assert app.transcript.query_one(AssistantMessage).text == "Let me look.\n\nIt is 19:00 in Tokyo."  # every step's words, as shown around the cards


async def test_search_in_the_app_shows_a_hit_in_a_tool_result_as_one():
    stored_tool_answer()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press(*"lighthouse")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.hits) == 1)
        shown = str(screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert "tool time_now, calc result:" in shown and "lighthouse" in shown
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen) and len(app.state.conversation.messages) == 2)
        assert app.state.conversation.messages[1].rounds == fold(tool_answer_events(), "anthropic").message().rounds

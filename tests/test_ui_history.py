"""Pilot tests of the history in the app, with a real SQLite file in a tmp data dir."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from tests.support.answers import Feed
from rtchat.events import TextDelta
from rtchat.store import Store, default_path
from rtchat.ui.screens.confirm import ConfirmDialog
from rtchat.ui.screens.conversation_list import ConversationList
from rtchat.ui.screens.rename import RenameDialog
from rtchat.ui.screens.search import SearchScreen
from rtchat.ui.widgets.transcript.messages import AssistantMessage, NoticeMessage, UserMessage
from tests.support.ui import focus, idle, make_app, paste, ready, send, wait_for

SIZE = (120, 40)


pytestmark = pytest.mark.usefixtures("isolated")


def stored() -> Store:
    return Store.open(default_path())


async def chat(pilot, text: str) -> None:
    app = pilot.app
    answers = len(app.transcript.query(AssistantMessage))
    await send(pilot, text)
    await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) > answers and idle(app))


def last_request_texts(app) -> list[str]:
    return [m["content"] if isinstance(m["content"], str) else str(m["content"]) for m in app.session._loopback.records[-1].request_json["messages"]]


async def test_turns_are_stored_listed_filtered_and_resumed():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await chat(pilot, "apple pie recipe")
        await pilot.press("ctrl+k")  # new conversation
        await wait_for(pilot, lambda: app.transcript.empty)
        await chat(pilot, "banana split")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ConversationList))
        screen = app.screen
        assert [s.title for s in screen.shown] == ["banana split", "apple pie recipe"]  # newest first
        await paste(pilot, "APPLE")
        await wait_for(pilot, lambda: [s.title for s in screen.shown] == ["apple pie recipe"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConversationList) and len(app.transcript.query(AssistantMessage)) == 1)
        assert app.transcript.query_one(UserMessage).text == "apple pie recipe"
        assert app.status.facts.model == "loopback/echo"
        await chat(pilot, "and the crust?")
        sent = last_request_texts(app)
        assert sent[0] == "apple pie recipe" and "apple pie recipe" in sent[1] and sent[-1] == "and the crust?"
    with stored() as store:
        summaries = store.list_conversations()
        assert [s.message_count for s in summaries] == [4, 2]
        _, messages = store.load_conversation(summaries[0].id)
        assert [m.role for m in messages] == ["user", "assistant"] * 2
        assert messages[1].thinking and messages[1].thinking[0].provider == "loopback"
        assert all(m.status == "complete" for m in messages)


async def test_rename_and_delete_with_confirmation():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await chat(pilot, "first chat")
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: app.transcript.empty)
        await chat(pilot, "second chat")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ConversationList))
        listing = app.screen
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, RenameDialog))
        app.screen.query_one(Input).value = "Renamed chat"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is listing and listing.shown[0].title == "Renamed chat")
        await pilot.press("down", "ctrl+d")  # the older one
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")  # no: nothing is deleted
        await wait_for(pilot, lambda: app.screen is listing)
        assert len(listing.shown) == 2
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is listing and len(listing.shown) == 1)
        assert listing.shown[0].title == "Renamed chat"
        await pilot.press("escape")
    with stored() as store:
        assert [s.title for s in store.list_conversations()] == ["Renamed chat"]


async def test_search_shows_snippets_and_opens_the_conversation():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await chat(pilot, "tell me about zeppelins")
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: app.transcript.empty)
        await chat(pilot, "something else")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await paste(pilot, "zeppelins")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.hits) == 2)  # the prompt and its echo
        prompt = str(screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert "zeppelins" in prompt
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen) and app.transcript.query(UserMessage))
        await wait_for(pilot, lambda: app.transcript.query_one(UserMessage).text == "tell me about zeppelins")
        assert [m.role for m in app.state.conversation.messages] == ["user", "assistant"]


async def test_broken_history_file_gives_one_notice_and_chat_goes_on():
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.transcript.query(NoticeMessage))
        await chat(pilot, "still here?")
        await chat(pilot, "and again")
        notices = app.transcript.query(NoticeMessage)
        assert len(notices) == 1 and "damaged" in notices.first().text
        assert len(app.state.conversation.messages) == 4
        await pilot.press("ctrl+l")  # no list without a store: a toast, no screen
        assert not isinstance(app.screen, ConversationList)


async def test_answer_cut_by_a_crash_opens_as_interrupted():
    with stored() as store:  # what a killed rtchat leaves: a prompt and a half-written answer
        conversation_id = store.create_conversation("loopback/echo")
        store.add_user_message(conversation_id, "crash course")
        writer = store.begin_answer(conversation_id, "loopback/echo", provider="loopback")
        feed = Feed(writer)
        feed(TextDelta("the partial ans"))
        writer.flush()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.open_conversation(conversation_id).wait()  # the worker has shown it, switched the model and focused the prompt
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage))
        answer = app.transcript.query_one(AssistantMessage)
        assert answer.text == "the partial ans" and answer.reason == "interrupted"
        assert "interrupted" in str(answer.status.render())


@pytest.mark.parametrize("protocol", ["sse", "websocket"])
async def test_typing_while_it_streams_interrupts_then_sends(protocol):
    app = make_app(model="loopback/lorem", protocol=protocol)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.state.protocol == protocol
        await send(pilot, "write")
        await wait_for(pilot, lambda: app.turns.runner is not None and len(app.turns.runner.turn.answer().text) > 5)
        first = app.turns.runner.view
        await send(pilot, "stop, and say hi")
        await wait_for(pilot, lambda: first.reason == "interrupted")
        await wait_for(pilot, lambda: app.turns.runner is not None and app.turns.runner.view is not first and app.turns.runner.turn.answer().text)
        assert [m.role for m in app.state.conversation.messages] == ["user", "assistant", "user"]
        assert app.state.conversation.messages[1].text == first.text  # the partial answer is kept
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))
        if protocol == "websocket":
            assert app.status.facts.socket in ("open", "idle")
            assert "WebSocket (" in str(app.status.render())
    with stored() as store:
        _, messages = store.load_conversation(store.last_conversation_id())
        assert [(m.role, m.status) for m in messages] == [("user", "complete"), ("assistant", "interrupted"), ("user", "complete"), ("assistant", "interrupted")]


async def test_deleting_the_open_conversation_starts_afresh():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await chat(pilot, "soon gone")
        opened = app.history.conversation_id
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ConversationList))
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")  # ConversationList.Deleted bubbles to the app, which starts a new conversation
        await wait_for(pilot, lambda: app.transcript.empty and app.history.conversation_id is None)
        assert opened is not None and app.state.conversation.messages == []
        await pilot.press("escape")
        await chat(pilot, "a fresh start")
    with stored() as store:
        assert [s.title for s in store.list_conversations()] == ["a fresh start"]


async def test_new_conversation_while_streaming_keeps_the_partial_answer_first():
    app = make_app(model="loopback/lorem")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "write")
        await wait_for(pilot, lambda: app.turns.runner is not None and len(app.turns.runner.turn.answer().text) > 5)
        first = app.history.conversation_id
        await pilot.press("ctrl+k")  # waits for the running answer to be kept before switching
        await wait_for(pilot, lambda: idle(app) and app.transcript.empty)
        assert app.state.conversation.messages == [] and app.history.conversation_id is None
    with stored() as store:
        _, messages = store.load_conversation(first)
        assert [(m.role, m.status) for m in messages] == [("user", "complete"), ("assistant", "interrupted")]


async def test_opening_a_search_hit_on_another_branch_flips_to_that_branch():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await chat(pilot, "the platypus lays eggs")
        app.switch_model("loopback/refusal")
        await wait_for(pilot, lambda: app.state.ref == "loopback/refusal" and app.state.ready.is_set())
        await focus(pilot, app.transcript.query(AssistantMessage).last())
        await pilot.press("r")  # the refusal answers beside the echo: the echo's branch is not the current one
        await wait_for(pilot, lambda: idle(app) and (v := app.transcript.query(AssistantMessage).last()).model == "loopback/refusal" and v.switcher is not None)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await paste(pilot, "platypus")
        screen = app.screen
        await wait_for(pilot, lambda: any(not hit.on_path for hit in screen.hits))
        index = next(i for i, hit in enumerate(screen.hits) if not hit.on_path and hit.role == "assistant")
        assert "on another branch" in str(screen.query_one(OptionList).get_option_at_index(index).prompt)
        screen.query_one(OptionList).highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen) and app.transcript.query(AssistantMessage))
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage).last().model == "loopback/echo")
        view = app.transcript.query(AssistantMessage).last()
        assert "platypus" in view.text and view.switcher.label == "1/2"
        assert "platypus" in app.state.conversation.messages[-1].text  # the next turn follows the hit's branch

"""Branches in the app (Pilot, the loopback, a real SQLite file): regenerate keeps the old
answer as a sibling, flipping by key and by mouse changes what the next turn sends and
survives a restart, and an edited prompt makes a new branch with the old one reachable."""

from __future__ import annotations

import pytest

from rtchat.store import Store, default_path
from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage
from tests.support.ui import focus, idle, make_app, press_until, ready, send, wait_for

SIZE = (100, 40)
REFUSAL = "I can't help with that."

pytestmark = pytest.mark.usefixtures("isolated")


def sent_texts(app) -> list[str]:
    """The text of every message in the last request the loopback received."""
    messages = app.session._loopback.records[-1].request_json["messages"]
    return [m["content"] if isinstance(m["content"], str) else "".join(p.get("text", "") for p in m["content"]) for m in messages]


def answers(app) -> list[AssistantMessage]:
    return list(app.transcript.query(AssistantMessage))


def switcher_of(view) -> str | None:
    found = view.query(BranchSwitcher)
    return found.first().label if found else None


async def chat(pilot, text: str) -> None:
    app = pilot.app
    before = len(answers(app))
    await focus(pilot, app.prompt)
    await send(pilot, text)
    await wait_for(pilot, lambda: len(answers(app)) > before and idle(app))


async def after(pilot, *prompts: str) -> None:
    """The app ready, with these prompts answered by the echo model."""
    await ready(pilot)
    for text in prompts:
        await chat(pilot, text)


async def use_model(pilot, ref: str) -> None:
    pilot.app.switch_model(ref)
    await wait_for(pilot, lambda: pilot.app.state.ref == ref and pilot.app.state.ready.is_set())


async def test_regenerate_flip_by_key_and_mouse_and_the_choice_survives_a_restart():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await after(pilot, "name a colour")
        await use_model(pilot, "loopback/refusal")
        conv_id = app.history.conversation_id
        await pilot.press("escape")  # the answer takes focus
        await wait_for(pilot, lambda: isinstance(app.focused, AssistantMessage))
        await pilot.press("r")
        await wait_for(pilot, lambda: idle(app) and answers(app)[-1].model == "loopback/refusal" and not answers(app)[-1].streaming)
        assert sent_texts(app) == ["name a colour"], "the prompt went again, without the old answer"
        await wait_for(pilot, lambda: switcher_of(answers(app)[-1]) == "2/2")
        assert len(answers(app)) == 1, "the old answer is replaced in place, not stacked"

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.focused, AssistantMessage))
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: answers(app) and answers(app)[-1].model == "loopback/echo" and switcher_of(answers(app)[-1]) == "1/2")
        await pilot.click(".branch-arrow.next")  # by mouse, back to the refusal
        await wait_for(pilot, lambda: answers(app) and answers(app)[-1].model == "loopback/refusal")
        await pilot.click(".branch-arrow.previous")
        await wait_for(pilot, lambda: answers(app) and answers(app)[-1].model == "loopback/echo")
        await use_model(pilot, "loopback/echo")
        await chat(pilot, "and another")
        sent = sent_texts(app)
        assert sent[0] == "name a colour" and "name a colour" in sent[1] and REFUSAL not in sent[1] and sent[2] == "and another"

    with Store.open(default_path()) as store:
        _, everything = store.load_conversation(conv_id, all_branches=True)
    assert [m.model for m in everything if m.role == "assistant"] == ["loopback/echo", "loopback/refusal", "loopback/echo"]

    # A restart: the conversation opens on the branch last chosen; flipping there changes what goes next.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.open_conversation(conv_id).wait()  # the worker has shown it, switched the model and focused the prompt
        await wait_for(pilot, lambda: len(answers(app)) == 2)
        first = answers(app)[0]
        assert first.model == "loopback/echo" and switcher_of(first) == "1/2"
        await focus(pilot, first)
        await press_until(pilot, "right_square_bracket", lambda: len(answers(app)) == 1 and answers(app)[0].model == "loopback/refusal")
        await chat(pilot, "why not?")
        assert sent_texts(app) == ["name a colour", sent_texts(app)[1], "why not?"]
        assert REFUSAL in sent_texts(app)[1]


async def test_edit_and_resend_makes_a_branch_and_the_old_one_stays_reachable():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await after(pilot, "first question", "second question with a typo")
        await pilot.press("escape", "up")  # the answer, then the prompt above it
        await wait_for(pilot, lambda: isinstance(app.focused, UserMessage))
        await press_until(pilot, "e", lambda: app.prompt.text == "second question with a typo" and app.prompt.has_focus)
        await send(pilot, "second question, fixed")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 2 and not answers(app)[-1].streaming)
        assert [t for i, t in enumerate(sent_texts(app)) if i != 1] == ["first question", "second question, fixed"]
        prompts = list(app.transcript.query(UserMessage))
        assert [p.text for p in prompts] == ["first question", "second question, fixed"]
        await wait_for(pilot, lambda: switcher_of(list(app.transcript.query(UserMessage))[-1]) == "2/2")

        await focus(pilot, list(app.transcript.query(UserMessage))[-1])
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: [p.text for p in app.transcript.query(UserMessage)][-1:] == ["second question with a typo"])
        assert len(answers(app)) == 2, "the old branch comes back with its answer"
        await chat(pilot, "third")
        assert "second question with a typo" in sent_texts(app) and "second question, fixed" not in sent_texts(app)


async def test_e_on_an_answer_edits_the_prompt_it_answers():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await after(pilot, "first question", "second question")
        await pilot.press("escape", "up", "up")  # the last answer, its prompt, the first answer
        await wait_for(pilot, lambda: app.focused is answers(app)[0])
        await press_until(pilot, "e", lambda: app.prompt.text == "first question" and app.prompt.has_focus)
        await send(pilot, "first question, edited")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1 and not answers(app)[-1].streaming)
        assert sent_texts(app) == ["first question, edited"]
        await wait_for(pilot, lambda: switcher_of(app.transcript.query_one(UserMessage)) == "2/2")


async def test_regenerate_with_nothing_to_regenerate_says_so():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.action_regenerate()
        await wait_for(pilot, lambda: "history" in "".join(str(n.text) for n in app.transcript.query("NoticeMessage")))
        app.action_edit_prompt()
        await pilot.pause()
        assert app.prompt.text == ""


async def test_race_losers_are_stored_as_siblings_of_the_kept_answer():
    from rtchat.config import load_config
    from rtchat.race import RaceSpec
    from rtchat.ui.race_app import RaceApp
    from rtchat.ui.screens.race import RaceScreen

    specs = [RaceSpec("loopback/echo@rate=0", "sse"), RaceSpec("loopback/refusal", "websocket")]
    app = RaceApp(load_config(), specs, "race and keep")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RaceScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.finished, timeout=30)
        await pilot.press("tab")  # keep the second column: the refusal over WebSocket
        await press_until(pilot, "enter", lambda: not isinstance(app.screen, RaceScreen) and len(answers(app)) == 1)
        kept = answers(app)[0]
        assert kept.model == "loopback/refusal"
        await wait_for(pilot, lambda: switcher_of(answers(app)[0]) == "2/2")
        _, everything = app.history.store.load_conversation(app.history.conversation_id, all_branches=True)
        assert [(m.role, m.model, m.on_path) for m in everything] == [
            ("user", None, True), ("assistant", "loopback/echo@rate=0", False), ("assistant", "loopback/refusal", True)
        ]
        assert everything[1].text == screen.race.lanes[0].text, "the loser is stored as its column showed it"
        await focus(pilot, answers(app)[0])
        await press_until(pilot, "left_square_bracket", lambda: answers(app) and answers(app)[0].model == "loopback/echo@rate=0")
        assert app.state.protocol == "websocket"  # the kept racer's protocol answers next; a flip changes no setting
        app.models.set_protocol("sse")  # SSE, whose requests the loopback records whole
        await chat(pilot, "next")
        assert "race and keep" in sent_texts(app)[1], "the next turn follows the racer flipped to"

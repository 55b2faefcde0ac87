"""Toasts stand above the status line; a stored answer's thinking keeps its title and text when a
branch flip or a race loser redraws it. Pilot, the real app against the loopback."""

from __future__ import annotations

import pytest
from textual.widgets._toast import Toast

from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.ui import focus, idle, make_app, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


async def test_a_toast_at_80x24_leaves_the_status_line_and_footer_readable():
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:  # Pilot hides toasts unless asked
        await ready(pilot)
        await pilot.press("ctrl+r")  # the effort toast
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        status = app.status.region
        for toast in app.screen.query(Toast):
            assert toast.region.bottom <= status.y, (toast.region, status)


async def flip_back(pilot) -> AssistantMessage:
    """Esc to the answer, `[` to its older sibling; returns the redrawn answer."""
    app = pilot.app
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(app.focused, AssistantMessage))
    await pilot.press("left_square_bracket")
    await wait_for(pilot, lambda: (view := app.transcript.query(AssistantMessage).last()).switcher is not None and view.switcher.label.startswith("1/"))
    return app.transcript.query(AssistantMessage).last()


async def test_a_flipped_to_answer_titles_its_thinking_as_it_did_live():
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+r", "ctrl+r", "ctrl+r")  # effort medium
        await send(pilot, "name a colour")
        await wait_for(pilot, lambda: idle(app) and app.transcript.query(AssistantMessage) and not app.transcript.query(AssistantMessage).last().streaming)
        live = app.transcript.query(AssistantMessage).last().thinking
        live_title, live_text = str(live.title), live.source
        assert live_title.startswith("thought for ") and "tokens" in live_title and "effort medium" in live_title
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.focused, AssistantMessage))
        await pilot.press("r")
        await wait_for(pilot, lambda: idle(app) and (v := app.transcript.query(AssistantMessage).last()).switcher is not None and not v.streaming)
        flipped = (await flip_back(pilot)).thinking
        assert str(flipped.title) == live_title  # not a bare "thought"
        assert flipped.source == live_text and live_text


async def test_a_race_losers_thinking_keeps_its_title_and_text():
    from rtchat.race import RaceSpec
    from rtchat.ui.screens.race import RaceScreen

    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+r", "ctrl+r", "ctrl+r", "ctrl+r")  # effort high
        app.races.open([RaceSpec("loopback/lorem@rate=0", "sse"), RaceSpec("loopback/echo", "sse")], prompt="race")
        await wait_for(pilot, lambda: isinstance(app.screen, RaceScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.finished, timeout=30)
        await pilot.press("enter")  # keep the first (lorem): echo, which thought, is the loser
        await wait_for(pilot, lambda: not isinstance(app.screen, RaceScreen) and idle(app) and app.transcript.query(AssistantMessage))
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage).last().switcher is not None)
        view = app.transcript.query(AssistantMessage).last()
        if view.model != "loopback/echo":
            await focus(pilot, view)
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: app.transcript.query(AssistantMessage).last().model == "loopback/echo")
            view = app.transcript.query(AssistantMessage).last()
        title = str(view.thinking.title)
        assert title.startswith("thought for ") and "tokens" in title and "effort high" in title, title
        assert view.thinking.source

"""The branch switcher at 80x24 and 120x40: an answer regenerated once, flipped back to the
first by key, so "‹ 1/2 ›" shows under the focused answer's label. Driven by key presses
against the loopback (the echo model's words are fixed); timings frozen as elsewhere."""

from __future__ import annotations

import pytest

from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.snap import SIZES, freeze, settle_figures
from tests.support.ui import idle, make_app, ready, wait_for


pytestmark = pytest.mark.usefixtures("isolated")


def shown_switcher(app) -> str | None:
    found = app.transcript.query(BranchSwitcher)
    return found.first().label if found else None


@pytest.mark.parametrize("size", SIZES)
def test_branch_switcher(snap_compare, monkeypatch, size):
    async def before(pilot):
        app = pilot.app
        freeze(app, monkeypatch)
        await ready(pilot)
        await pilot.press(*"pick a number", "enter")
        await wait_for(pilot, lambda: idle(app) and len(app.transcript.query(AssistantMessage)) == 1)
        await pilot.press("escape", "r")
        await wait_for(pilot, lambda: idle(app) and shown_switcher(app) == "2/2")
        await pilot.press("escape", "left_square_bracket")
        await wait_for(pilot, lambda: shown_switcher(app) == "1/2" and isinstance(app.focused, AssistantMessage))
        freeze(app, monkeypatch)  # the redrawn answer's thinking clock too
        settle_figures(app)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=before)

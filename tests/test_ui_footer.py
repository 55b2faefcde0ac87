"""The footer as a user reads it (Pilot, the loopback): more keys when the width has room, and a
focused message's own keys (r, e, [, ]) first; a key is shown whole or not at all."""

from __future__ import annotations

import pytest

from rtchat.compat import footer_key
from rtchat.ui.widgets.key_footer import KeyFooter
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.ui import idle, make_app, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def footer_keys(app) -> list[str]:
    return [key.key_display for key in app.chat.query_one(KeyFooter).query(footer_key())]


def footer_fits(app) -> bool:
    footer = app.chat.query_one(KeyFooter)
    keys = list(footer.query(footer_key()))
    return bool(keys) and max(key.region.right for key in keys) <= footer.region.right


async def keys_at(size: tuple[int, int]) -> list[str]:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: footer_keys(app))
        assert footer_fits(app)
        return footer_keys(app)


async def test_more_keys_at_120_columns_than_at_80():
    narrow, wide = await keys_at((80, 24)), await keys_at((120, 40))
    assert narrow[:3] == ["^c", "^q", "f1"], narrow
    assert set(narrow) < set(wide), (narrow, wide)
    assert {"^k", "^r", "^t", "f6"} <= set(wide), wide


async def test_a_focused_message_shows_its_own_keys_first_at_80_columns():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "hello")
        await wait_for(pilot, lambda: idle(app) and app.transcript.query(AssistantMessage))
        await wait_for(pilot, lambda: app.transcript.query_one(AssistantMessage).message_id is not None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: footer_keys(app)[:2] == ["r", "e"])
        assert footer_fits(app)
        assert "c" in footer_keys(app) and "t" in footer_keys(app)
        await pilot.press("i")  # back to the input: the message's keys go
        await wait_for(pilot, lambda: "r" not in footer_keys(app))

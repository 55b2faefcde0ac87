"""The app under a warning flood: a few notice widgets and a count, and Ctrl-C stops at once."""

from __future__ import annotations

import pytest

from rtchat.ui.widgets.transcript.messages import AssistantMessage, NoticeMessage
from tests.support.ui import idle, make_app, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


async def test_ctrl_c_during_a_flood_of_malformed_frames_interrupts_and_the_notices_stay_few():
    app = make_app(model="loopback/fault-flood@rate=5")  # 5 tokens, 20,000 broken frames, then a slow rest
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "one two three four five six seven eight nine ten eleven twelve")
        await wait_for(pilot, lambda: app.transcript.query(NoticeMessage))
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))
        answer = app.transcript.query_one(AssistantMessage)
        assert answer.reason == "interrupted"
        assert len(app.transcript.query(NoticeMessage)) <= 4  # three shown, the rest only counted
        assert app.is_running

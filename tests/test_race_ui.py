"""The race view against the loopback: three protocols at once, marks, Ctrl-C, keeping an answer, the palette."""

from __future__ import annotations

import pytest

from rtchat.config import load_config
from rtchat.race import RaceSpec
from rtchat.ui.race_app import RaceApp
from rtchat.ui.screens.race import RaceScreen
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.lines import shown_lines
from tests.support.ui import make_app, palette_offers, ready, wait_for

SIZE = (120, 40)

pytestmark = pytest.mark.usefixtures("isolated")


def race_app(specs, prompt="race these words"):
    return RaceApp(load_config(), specs, prompt)


async def race_screen(pilot) -> RaceScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RaceScreen))
    return pilot.app.screen


async def test_three_protocols_at_once_and_the_quickest_ttft_is_marked_first():
    slow, quick = "loopback/echo@rate=400,ttft=1500", "loopback/echo@rate=400,ttft=0"
    # The quick lane is SSE: a WebRTC call's own setup (aiortc, ICE, DTLS) outlasted the slow lanes'
    # 1.5 s head start on a loaded machine, and the race rightly marked the SSE lane first.
    specs = [RaceSpec(slow, "websocket"), RaceSpec(slow, "webrtc"), RaceSpec(quick, "sse")]
    app = race_app(specs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await race_screen(pilot)
        await wait_for(pilot, lambda: screen.finished, timeout=30)
        await pilot.pause()  # a yield: the last refresh is laid out
        lanes = screen.race.lanes
        assert [lane.reason for lane in lanes] == ["complete"] * 3
        assert [lane.first_answer for lane in lanes] == [False, False, True]
        assert [lane.first_finish for lane in lanes] == [False, False, True]
        assert all(lane.turn.stats().ttft_ms > 1400 for lane in lanes[:2])
        column = screen.columns[2]
        assert "first to answer" in str(column.query_one(".race-marks").render())
        assert "TTFT" in str(column.query_one(".race-figures").render())
        answer = shown_lines(column.query_one(".race-answer"))
        assert "race these words" in answer and "Echo (turn 1)" in answer  # rendered, not `**Echo** (turn 1)`
        assert not screen.has_class("stacked")


async def test_ctrl_c_stops_every_lane_and_keeps_what_each_showed():
    specs = [RaceSpec("loopback/lorem@rate=30", protocol) for protocol in ("sse", "websocket", "webrtc")]
    app = race_app(specs, "write at length")
    async with app.run_test(size=SIZE) as pilot:
        screen = await race_screen(pilot)
        await wait_for(pilot, lambda: all(lane.text for lane in screen.race.lanes), timeout=30)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: screen.finished, timeout=10)
        assert [lane.reason for lane in screen.race.lanes] == ["interrupted"] * 3
        assert all(lane.text for lane in screen.race.lanes)
        assert isinstance(app.screen, RaceScreen)  # stopped, not left: the partial answers stay to compare


async def test_enter_keeps_the_focused_answer_as_the_reply():
    # The second answer is the echo cut short: as different from the first as lorem's 5,000 tokens,
    # which took most of the test's time to lay out in the lane and again in the transcript.
    specs = [RaceSpec("loopback/echo@rate=0", "sse"), RaceSpec("loopback/fault-length@rate=0", "websocket")]
    app = race_app(specs, "keep one")
    async with app.run_test(size=SIZE) as pilot:
        screen = await race_screen(pilot)
        await wait_for(pilot, lambda: screen.finished, timeout=30)
        await pilot.press("tab", "enter")  # the second column: the cut echo over WebSocket
        await wait_for(pilot, lambda: not isinstance(app.screen, RaceScreen) and len(app.state.conversation.messages) == 2)
        kept = screen.race.lanes[1].text
        assert kept and kept != screen.race.lanes[0].text
        assert [m.role for m in app.state.conversation.messages] == ["user", "assistant"]
        assert app.state.conversation.messages[1].text == kept
        await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) == 1)
        _, messages = app.history.store.load_conversation(app.history.conversation_id)
        assert [(m.role, m.text) for m in messages] == [("user", "keep one"), ("assistant", kept)]
        assert messages[1].model == "loopback/fault-length@rate=0"


async def test_from_the_palette_the_prompt_in_the_input_races_every_protocol():
    app = make_app(model="loopback/echo@rate=0")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.prompt.load_text("from the palette")
        await pilot.press("ctrl+p", *"Race this prompt")
        await wait_for(pilot, lambda: palette_offers(app, "Race this prompt across protocols"))
        await pilot.press("enter")
        screen = await race_screen(pilot)
        assert [lane.spec.protocol for lane in screen.race.lanes] == ["sse", "websocket", "webrtc"]
        assert screen.race.prompt == "from the palette" and app.prompt.text == ""
        await wait_for(pilot, lambda: screen.finished, timeout=30)
        assert all("from the palette" in lane.text for lane in screen.race.lanes)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RaceScreen))
        assert app.state.conversation.messages == []  # left without keeping: nothing added

"""The status line says what is true now: no figure of an earlier turn or model, no connection the
protocol does not have, one wording for the wait, estimates for a stopped turn, a kept racer's settings.

Each test drives the real app under Pilot against the loopback and reads what the line shows.
"""

from __future__ import annotations

import pytest

from rtchat.race import RaceSpec
from rtchat.ui.screens.race import RaceScreen
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from tests.support.ui import idle, make_app, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

SIZE = (120, 30)


def record(status) -> list[str]:
    """Every line the status shows from now on (each repaint of a changed line)."""
    lines: list[str] = []
    refresh = status.refresh

    def recorded(*args, **kwargs):
        lines.append(status.text)
        return refresh(*args, **kwargs)

    status.refresh = recorded
    return lines


async def answered(pilot, count: int) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: len(app.state.conversation.messages) == count and idle(app), timeout=30)


async def after_one_turn(pilot) -> None:
    """The app ready and one prompt answered: the status line shows that turn's figures."""
    await ready(pilot)
    await send(pilot, "first")
    await answered(pilot, 2)
    assert "ttft" in pilot.app.status.text


async def test_after_a_websocket_turn_ctrl_n_to_webrtc_shows_no_open_call():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await send(pilot, "hi")
        await answered(pilot, 2)
        assert "WebSocket (open)" in app.status.text
        await pilot.press("ctrl+n")
        assert app.state.protocol == "webrtc"
        assert "WebRTC" in app.status.text and "(open)" not in app.status.text  # no call was ever made
        assert "ttft" not in app.status.text and "│" not in app.status.text  # nor the WebSocket turn's figures


def test_before_a_model_is_resolved_the_line_says_starting_and_guesses_nothing():
    from rtchat.ui.widgets.status.status_facts import StatusFacts, format_status

    assert format_status(StatusFacts(state="starting")) == "starting"  # not "· SSE · starting · effort off"
    assert format_status(StatusFacts(model="loopback/echo", state="starting")) == "loopback/echo · starting"


async def test_a_first_webrtc_turn_never_shows_an_idle_call_nor_a_doubled_idle():
    app = make_app(protocol="webrtc")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lines = record(app.status)
        await send(pilot, "hi")
        await answered(pilot, 2)
        assert lines and not [line for line in lines if "(idle)" in line]
        assert "waiting for the first token" in lines[0]  # at once, before the call is even made


async def test_sending_shows_waiting_at_once_with_none_of_the_last_turns_figures():
    app = make_app(model="loopback/echo@ttft=600")
    async with app.run_test(size=SIZE) as pilot:
        await after_one_turn(pilot)
        assert "$" in app.status.text
        lines = record(app.status)
        await send(pilot, "second")
        await wait_for(pilot, lambda: app.status.facts.ttft_ms is not None)
        assert "waiting for the first token · 0.0 s" in lines[0]
        before_first_token = lines[: next(i for i, line in enumerate(lines) if "waiting" not in line)]
        assert before_first_token
        for line in before_first_token:
            assert "│" not in line, line  # no figure at all beside the wait: the last turn's are gone


async def test_a_model_switch_leaves_no_figure_of_the_model_before():
    app = make_app(model="loopback/echo@ttft=300")
    async with app.run_test(size=SIZE) as pilot:
        await after_one_turn(pilot)
        app.chat.switch_model("loopback/lorem")
        await wait_for(pilot, lambda: app.state.ref == "loopback/lorem" and app.status.facts.model == "loopback/lorem")
        assert "ttft" not in app.status.text and "tok/s" not in app.status.text and "$" not in app.status.text
        assert app.status.facts.state == "idle"


async def test_the_status_and_the_answer_name_the_wait_in_the_same_words():
    app = make_app(model="loopback/echo@ttft=3000")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        clock = [100.0]
        app.turns.now = lambda: clock[0]
        await send(pilot, "hi")
        await wait_for(pilot, lambda: app.turns.runner is not None)
        clock[0] = app.turns.runner.turn.stats().started + 1.4
        view = app.transcript.query(AssistantMessage).last()
        await wait_for(pilot, lambda: view.status.display and "1.4 s" in str(view.status.render()))
        words = str(view.status.render())
        assert words == "waiting for the first token · 1.4 s"
        assert words in app.status.text
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))


async def test_a_stopped_turn_keeps_estimated_counts_and_cost():
    app = make_app(model="loopback/lorem@rate=40")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "go")
        await wait_for(pilot, lambda: app.turns.runner is not None and len(app.turns.runner.view.text) > 200)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app) and app.status.facts.state == "interrupted")
        facts = app.status.facts
        assert facts.estimated and facts.usage.output_tokens >= 200 // 4 and facts.usage.input_tokens
        assert facts.cost is not None and facts.cost.usd > 0
        shown = app.status.text
        assert "interrupted" in shown and "in ≈" in shown and "out ≈" in shown and "$" in shown


async def test_keeping_a_websocket_racer_makes_websocket_and_its_effort_the_next_turns():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "SSE" in app.status.text and app.status.facts.effort == "default"
        app.races.open([RaceSpec("loopback/echo", "sse"), RaceSpec("loopback/echo", "websocket")], prompt="hello")
        await wait_for(pilot, lambda: isinstance(app.screen, RaceScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.finished, timeout=30)
        assert screen.race.effort == "off"  # WebSocket cannot think: every lane was sent effort off
        await pilot.press("tab", "enter")  # the WebSocket column
        await wait_for(pilot, lambda: not isinstance(app.screen, RaceScreen) and app.state.protocol == "websocket")
        assert "WebSocket" in app.status.text and "SSE" not in app.status.text
        assert app.status.facts.effort == "off"  # what that socket sends, as the race said
        assert app.status.facts.ttft_ms == screen.race.lanes[1].turn.stats().ttft_ms  # the kept answer's figures
        await send(pilot, "and now")
        await answered(pilot, 4)
        assert "WebSocket (open)" in app.status.text


def test_the_voice_status_counts_the_underruns_alsa_reported_off_screen():
    from rtchat.ui.widgets.status.status_facts import StatusFacts, format_status

    assert "underrun" not in format_status(StatusFacts(model="m", voice="speaking"))
    assert "2 underruns" in format_status(StatusFacts(model="m", voice="speaking", underruns=2))


async def test_the_app_shows_the_underruns_counted_off_screen_in_voice_mode():
    """run_app's guard of descriptor 2 counts ALSA's underruns; here a stand-in with a count (the one
    fake: no sound card under Pilot) and the voice status as voice mode shows it."""
    from types import SimpleNamespace

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.native_stderr = SimpleNamespace(underruns=3)
        app.status.show(voice="speaking")
        await wait_for(pilot, lambda: "3 underruns" in app.status.text)


WEBRTC_CHOSEN = """
import asyncio, sys, time
from tests.support.ui import make_app, ready

async def main():
    app = make_app(protocol="webrtc")
    async with app.run_test() as pilot:
        await ready(pilot)
        deadline = time.monotonic() + 60
        while "aiortc" not in sys.modules and time.monotonic() < deadline:
            await pilot.pause(0.05)
        print("aiortc" in sys.modules, app.turns.idle and not app.state.conversation.messages)

asyncio.run(main())
"""


def test_choosing_webrtc_loads_aiortc_off_the_loop_before_the_first_call(tmp_path):
    """The first call imported aiortc on the app's loop, and the screen froze (the status line kept the
    last turn's figures) meanwhile; now it loads in a thread once WebRTC is chosen. A fresh process:
    a test worker may have loaded aiortc already."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.support.env import isolated_env

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", WEBRTC_CHOSEN], cwd=root, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "True"], done.stderr[-2000:]  # loaded, and no turn ever ran

"""Protocols are named as the protocol picker names them (SSE, WebSocket, WebRTC) wherever the
user reads one: a race's column titles and the line it leaves in the transcript, the voice toast."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from rtchat.config import load_config
from rtchat.race import RaceSpec
from rtchat.ui.controllers.voice_devices import silent_devices
from rtchat.ui.race_app import RaceApp
from rtchat.ui.screens.race import RaceScreen
from rtchat.ui.widgets.transcript.messages import NoticeMessage
from tests.support.lines import shown_lines
from tests.support.ui import make_app, notices, ready, wait_for
from tests.support.voice import HandFedSource, tap, voice_state

SIZE = (120, 40)

pytestmark = pytest.mark.usefixtures("isolated")


async def test_race_columns_and_the_kept_line_name_the_protocols_as_the_picker_does():
    model = "loopback/echo@rate=0"
    app = RaceApp(load_config(), [RaceSpec(model, "sse"), RaceSpec(model, "websocket")], "names")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RaceScreen) and app.screen.finished, timeout=30)
        screen = app.screen
        titles = [shown_lines(column.query_one(".race-title"))[0] for column in screen.columns]
        assert titles == [f"{model} · SSE", f"{model} · WebSocket"]
        await pilot.press("tab", "enter")  # keeps the WebSocket column's answer
        await wait_for(pilot, lambda: not isinstance(app.screen, RaceScreen) and app.transcript.query(NoticeMessage))
        await pilot.pause()  # a yield: the notice is laid out
        summary = shown_lines(app.transcript.query(NoticeMessage).last().query_one(Static))
        assert any(f"race of 2: kept {model} · WebSocket" in line for line in summary), summary
        assert any(line.lstrip().startswith(f"{model} · SSE") for line in summary), summary


async def test_the_voice_toast_names_the_protocol_as_the_picker_does():
    source = HandFedSource()  # the true edge: no microphone here
    app = make_app(protocol="websocket", voice_devices=silent_devices(lambda: source))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "listening", timeout=20)
        assert "voice mode: loopback/echo over WebSocket; press the talk key again to send" in notices(app)
        assert "WebSocket" in app.status.text  # the status line's voice link says it the same way

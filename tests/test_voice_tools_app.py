"""Tools in voice mode, in the app: the status line while a spoken call runs and the turn's tool
time after, and /tools changes reaching an open voice session at once (Realtime: a
`session.update` on the same socket; Gemini Live: a new session with the new `setup`, seeded
with the conversation).

The real app under Pilot against the in-process loopback over its WebSocket (Realtime) and its
Live endpoint, a hand-fed microphone (no sound card; PulseAudio is test_voice_tools.py's), and
the tool layer's real stdio test server named in the user's config.
"""

from __future__ import annotations

import pytest
from textual.widgets import Switch

from rtchat.ui.controllers.voice_devices import silent_devices
from rtchat.ui.screens.tools import ToolsScreen
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from rtchat.ui.widgets.transcript.tool_card import ToolCard
from tests.support.socket_tools import tool_updates
from tests.support.ui import focus, idle, ready, send, wait_for
from tests.support.voice_tools import voice_tools_app
from tests.support.voice import HandFedSource, syllables, tap, voice_state

pytestmark = pytest.mark.usefixtures("isolated")

SIZE = (120, 40)
START = 60.0  # seconds: a voice session and an MCP server (a Python process) start on a loaded machine


def voice_app(isolated, model: str, protocol: str, tools: tuple[str, ...], source: HandFedSource):
    return voice_tools_app(isolated, model, protocol, tools, silent_devices(lambda: source))


def card(app) -> ToolCard | None:
    cards = app.transcript.query(ToolCard)
    return cards.last() if cards else None


async def spoken_question(pilot, source: HandFedSource) -> None:
    tap(pilot, "f3")
    await wait_for(pilot, lambda: voice_state(pilot.app) == "listening", timeout=START)
    source.say(syllables())
    tap(pilot, "f3")


@pytest.mark.parametrize("model", ["loopback/tools", "gemini/tools"], ids=["realtime", "live"])
async def test_the_status_line_says_calling_while_a_spoken_call_runs_and_a_barge_in_cancels_it(isolated, monkeypatch, model):
    monkeypatch.setenv("GEMINI_API_KEY", "k")  # a dummy the loopback accepts
    source = HandFedSource()
    app = voice_app(isolated, model, "websocket", ("wait",), source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await spoken_question(pilot, source)
        await wait_for(pilot, lambda: card(app) is not None and card(app).state == "asking" and app.focused is card(app), timeout=START)
        await wait_for(pilot, lambda: app.status.facts.calling == "allow wait? y a n")  # the status line's next redraw
        await pilot.press("y")
        await wait_for(pilot, lambda: card(app).state == "running" and (app.status.facts.calling or "").startswith("calling wait · "), timeout=START)
        assert "calling wait · " in app.status.text
        tap(pilot, "f3")  # the talk key while the call runs: a barge-in
        await wait_for(pilot, lambda: card(app).state == "cancelled" and idle(app), timeout=START)
        assert app.status.facts.calling is None and "calling" not in app.status.text
        assert app.transcript.query(AssistantMessage).last().reason == "interrupted"
        connection = app.session._loopback.state.connections[-1]
        if model.startswith("gemini/"):  # Live: the server withdrew the call (`toolCallCancellation`), no response went back
            await wait_for(pilot, lambda: bool(app.voice.current.link.withdrawn), timeout=START)
            assert connection.tool_frames == []
        else:
            assert [f for f in connection.tool_frames if f.get("item", {}).get("type") == "function_call_output"] == []


async def test_after_a_spoken_call_the_status_line_shows_the_turn_s_tool_time(isolated):
    source = HandFedSource()
    app = voice_app(isolated, "loopback/tools", "websocket", ("echo",), source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await spoken_question(pilot, source)
        await wait_for(pilot, lambda: card(app) is not None and card(app).state == "asking" and app.focused is card(app), timeout=START)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app) and voice_state(app) == "idle" and app.transcript.query(AssistantMessage).last().reason == "complete", timeout=START)
        facts = app.status.facts
        assert facts.calling is None and facts.tool_count == 1 and facts.tool_ms > 0
        assert "tools 1 · " in app.status.text
        assert card(app).state == "ok" and app.transcript.query(AssistantMessage).last().text.endswith("echo returned: sample")


async def switch_off(pilot, tool: str) -> None:
    """/tools, the one tool's switch off, Esc."""
    app = pilot.app
    await send(pilot, "/tools")
    await wait_for(pilot, lambda: isinstance(app.screen, ToolsScreen) and isinstance(app.focused, Switch), timeout=START)
    rows = {" ".join(str(static.render()) for static in row.query("Static")): row.query_one(Switch) for row in app.screen.query(".row")}
    label = next(label for label in rows if label.startswith(f"{tool} — "))
    await focus(pilot, rows[label])
    await pilot.press("space")
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, ToolsScreen))


async def test_tools_switched_off_in_voice_reach_the_open_realtime_session_at_once(isolated):
    source = HandFedSource()
    app = voice_app(isolated, "loopback/tools", "websocket", ("echo", "pid"), source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "listening", timeout=START)
        tap(pilot, "ctrl+c")  # nothing said: voice mode stays open, idle
        await wait_for(pilot, lambda: voice_state(app) == "idle")
        (connection,) = app.session._loopback.state.connections
        await wait_for(pilot, lambda: len(tool_updates(connection)) == 1, timeout=START)
        assert [t["name"] for t in tool_updates(connection)[0]["tools"]] == ["echo", "pid"]
        voice = app.voice.current
        await switch_off(pilot, "pid")
        await wait_for(pilot, lambda: len(tool_updates(connection)) == 2, timeout=START)
        assert [t["name"] for t in tool_updates(connection)[1]["tools"]] == ["echo"]  # on the same socket, before anything is said
        assert app.voice.current is voice and len(app.session._loopback.state.connections) == 1


async def test_tools_switched_off_in_voice_open_a_new_live_session_seeded_with_the_conversation(isolated, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    source = HandFedSource()
    app = voice_app(isolated, "gemini/tools", "websocket", ("echo", "pid"), source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await spoken_question(pilot, source)  # an exchange, so there is a conversation to seed
        await wait_for(pilot, lambda: card(app) is not None and card(app).state == "asking" and app.focused is card(app), timeout=START)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app) and voice_state(app) == "idle" and app.transcript.query(AssistantMessage).last().reason == "complete", timeout=START)
        connections = app.session._loopback.state.connections
        (first,) = connections
        assert [d["name"] for d in first.setup["tools"][0]["functionDeclarations"]] == ["echo", "pid"]
        await switch_off(pilot, "pid")
        await wait_for(pilot, lambda: len(connections) == 2 and app.voice.current is not None, timeout=START)
        second = connections[1]
        assert [d["name"] for d in second.setup["tools"][0]["functionDeclarations"]] == ["echo"]
        assert app.voice.current.link.sent_log[:1] == ["clientContent"]  # the conversation first, before any speech


async def test_a_remote_mcp_approval_asks_on_a_card_and_the_result_lands_on_it(isolated):
    """A typed turn over the Realtime WebSocket with a `realtime = "remote"` server: the provider's
    `mcp_approval_request` shows as a card that asks (y / a / n); once approved, the call the
    provider ran lands on that same card, with its running time."""
    from rtchat.config import load_config
    from rtchat.ui.app import RtChatApp

    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[tools]\ndemo = false\n[mcp.servers.notes]\nurl = "http://127.0.0.1:9/mcp"\nrealtime = "remote"\n', encoding="utf-8")
    app = RtChatApp(load_config(), model="loopback/tools", protocol="websocket")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "tea")
        await wait_for(pilot, lambda: card(app) is not None and card(app).state == "asking" and app.focused is card(app), timeout=START)
        asked = card(app)
        assert asked.head == "⚙ notes · search"
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        (shown,) = app.transcript.query(ToolCard)  # one card: the approval's, which took the result
        assert shown is asked and shown.state == "ok" and shown.result.output == "notes found: tea"
        assert shown.result.ms is not None
        assert app.transcript.query(AssistantMessage).last().text.endswith("search returned: notes found: tea")
        (step,) = app.state.conversation.messages[-1].rounds  # kept as one step, its result with the time
        assert [r.ms is not None for r in step.results] == [True]

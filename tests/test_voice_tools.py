"""Tools while talking: a spoken question, a call to a real stdio MCP server, the spoken answer.

The speech is espeak-ng's WAV, sent through the real capture path (the file as the microphone)
to the loopback over WebRTC (Opus on a track, events on the data channel) and over the
WebSocket; the `tools` model calls the first tool it is offered (its 'transcript' of speech
names none). The loopback records every tool frame it received, so what was (not) sent for a
cancelled call is asserted on the wire.
"""

from __future__ import annotations

import asyncio
import json
import subprocess

import httpx
import pytest

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.audio.wavfile import read_wav
from rtchat.config_rules import NetworkSettings, ToolSettings, VoiceSettings
from rtchat.events import Done, ToolCallRequest, ToolCallResult
from rtchat.tools.approval import ConversationTools
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import ToolSession
from rtchat.voice.links import link_for
from rtchat.voice.session import VoiceSession
from tests.support.approvers import Yes
from tests.support.env import isolated_env, rtchat_cmd, write_config
from tests.support.mcp_servers import WAIT_CANCELLED, WAIT_STARTED, stdio_config
from tests.support.socket_tools import outputs_sent, tool_updates
from tests.support.voice import MonitorRecorder, loud_seconds, pulse_as_default_devices, speech_wav, spoken_exchange, voice_target, wav_loud_seconds
from tests.support.wait import Log

PROTOCOLS = ["webrtc", "websocket"]


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("speech"), "What time is it?")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ask_audio_in_calls_the_demo_tool_and_speaks_its_result(tmp_path, speech, protocol):
    saved = tmp_path / "answer.wav"
    command = rtchat_cmd("ask", "-m", "loopback/tools", "--audio-in", str(speech), "--protocol", protocol, "--approve-tools", "--jsonl", "--save-audio", str(saved))
    done = subprocess.run(command, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    calls = [line for line in lines if line["type"] == "tool_call"]
    results = [line for line in lines if line["type"] == "tool_result"]
    assert [(c["name"], c["server"]) for c in calls] == [("time_now", "demo")]
    assert [(r["id"], r["status"], r["server"]) for r in results] == [(calls[0]["id"], "ok", "demo")]
    assert results[0]["output"].endswith("(UTC)")
    spoken = "".join(line["text"] for line in lines if line["type"] == "transcript" and line["role"] == "assistant")
    assert spoken == f"Let me check. time_now returned: {results[0]['output']}"  # "let me check", the call, then its result said
    order = [line["type"] for line in lines]
    assert order.index("tool_call") < order.index("tool_result") < max(i for i, line in enumerate(lines) if line["type"] == "transcript" and line["role"] == "assistant")
    assert lines[-1] == {"type": "done", "reason": "complete"}
    samples, rate = read_wav(saved)
    assert loud_seconds(samples, rate) > 0.2  # the answer's audio arrived and was kept


@pytest.mark.parametrize("allowed", [True, False])
def test_a_server_s_always_allow_is_the_auto_approve_of_a_spoken_call(tmp_path, speech, allowed):
    """`[mcp.servers.NAME] always_allow` (never the default) runs the listed tool without a key; another
    tool is still asked, and without --approve-tools or a terminal to ask on, denied with a hint."""
    server = stdio_config("local")
    listed = '"echo"' if allowed else '"pid"'
    write_config(tmp_path, f"[tools]\ndemo = false\n[mcp.servers.local]\ncommand = {json.dumps(list(server.command))}\nalways_allow = [{listed}]\n")
    done = subprocess.run(rtchat_cmd("ask", "-m", "loopback/tools", "--audio-in", str(speech), "--protocol", "websocket", "--jsonl"), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, start_new_session=True)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if '"tool_result"' in line]
    assert [(r["name"], r["status"]) for r in results] == [("echo", "ok" if allowed else "denied")]
    assert ("pass --approve-tools" in done.stderr) is not allowed


async def voice_with_wait_tool(loopback, protocol, speech, registry):
    """A voice session whose one offered tool is the test server's `wait` (it runs until cancelled)."""
    await registry.start(["local"], lambda notice: None)
    others = {tool.name for tool in registry.tools(["local"]) if tool.original != "wait"}
    tools = ToolSession(registry, Yes(), ConversationTools({"local"}, others), ToolSettings(), "loopback")
    client = httpx.AsyncClient()
    link = link_for(voice_target(loopback.url + "/v1", "tools"), protocol, VoiceSettings(), client, NetworkSettings())
    source = wav_source(speech)
    voice = VoiceSession(link, Capture(source), ClockSpeaker, tools=tools)
    voice.http_client = client
    await voice.start(open_microphone=False)
    return voice, source


async def speak(voice, source, events: list, calls: asyncio.Event) -> asyncio.Task:
    """Press, the WAV as the microphone, release; events collected until Done (`calls` set at a call)."""
    return await spoken_exchange(voice, source, events, lambda event: calls.set() if isinstance(event, ToolCallRequest) else None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_barge_in_during_a_call_cancels_it_at_the_server_and_sends_no_output(loopback, speech, protocol):
    log = Log()
    registry = ToolRegistry({"local": stdio_config("local")}, ToolSettings(), log=log)
    voice = None
    try:
        voice, source = await voice_with_wait_tool(loopback, protocol, speech, registry)
        events: list = []
        called = asyncio.Event()
        collector = await speak(voice, source, events, called)
        await log.saw(WAIT_STARTED)  # the call runs at the server
        await voice.toggle()  # the talk key while the call runs: a barge-in
        await asyncio.wait_for(collector, 30)
        await log.saw(WAIT_CANCELLED)  # the runner cancelled it at the server
        assert isinstance(events[-1], Done) and events[-1].reason == "interrupted"
        assert [e.name for e in events if isinstance(e, ToolCallRequest)] == ["wait"]
        assert not any(isinstance(e, ToolCallResult) for e in events), "a result after the barge-in is dropped"
        # The next spoken turn: once the server has asked for its call, it has read every frame
        # sent before it; no output for the cancelled call is among them.
        second: list = []
        called_again = asyncio.Event()
        voice.capture.stop()
        fresh = voice.capture.source = wav_source(speech)  # the same microphone, speaking again
        collector = await speak(voice, fresh, second, called_again)
        await asyncio.wait_for(called_again.wait(), 30)
        (connection,) = loopback.connections
        assert outputs_sent(connection) == []
        assert [tool["name"] for tool in tool_updates(connection)[0]["tools"]] == ["wait"]
        await voice.interrupt()
        await asyncio.wait_for(collector, 30)
    finally:
        if voice is not None:
            await voice.close()
            await voice.http_client.aclose()
        await registry.aclose()


# ---- the app, through PortAudio and PulseAudio (the setup of test_voice_app_pulseaudio.py)


@pytest.fixture
def pulse(monkeypatch):
    with pulse_as_default_devices(monkeypatch) as sinks:
        yield sinks


async def asked_aloud(pilot, mic: str, speech) -> None:
    """Push-to-talk: the talk key, `speech` played into the microphone's sink, the key again;
    until a card asks (and has the keys)."""
    from rtchat.ui.widgets.transcript.tool_card import ToolCard
    from tests.support.ui import wait_for

    app = pilot.app
    app.simulate_key("f3")  # no idle wait: aiortc's threads keep the app from idling
    await wait_for(pilot, lambda: app.voice.current is not None and app.voice.current.state.value == "listening", timeout=30)
    player = await asyncio.create_subprocess_exec("paplay", f"--device={mic}", str(speech))
    assert await player.wait() == 0
    await wait_for(pilot, lambda: app.voice.current.capture.level_dbfs < -60.0)  # its tail has come through
    app.simulate_key("f3")
    await wait_for(pilot, lambda: any(card.state == "asking" and app.focused is card for card in app.transcript.query(ToolCard)), timeout=60)


def tools_voice_app():
    """The app on loopback/tools over WebRTC, rtchat's demo MCP server on (the default)."""
    from tests.support.ui import make_app

    return make_app(model="loopback/tools", protocol="webrtc")


@pytest.mark.usefixtures("isolated")
async def test_push_to_talk_a_tool_call_approved_by_key_through_pulseaudio(pulse, tmp_path):
    from rtchat.ui.widgets.transcript.messages import AssistantMessage
    from rtchat.ui.widgets.transcript.tool_card import ToolCard
    from tests.support.ui import idle, ready, wait_for

    mic, speaker = pulse
    speech = speech_wav(tmp_path, "What time is it?")
    recorder = MonitorRecorder(speaker)
    app = tools_voice_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await recorder.start()
        await asked_aloud(pilot, mic, speech)
        assert app.voice.current.capture.gate_open is False  # push-to-talk: sent, nothing spoken approves
        app.simulate_key("y")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app) and app.voice.current.state.value == "idle" and app.transcript.query_one(AssistantMessage).reason == "complete", timeout=60)
        await recorder.stop()
        answer = app.transcript.query_one(AssistantMessage)
        (card,) = app.transcript.query(ToolCard)
        text, state, call_id = answer.text, card.state, card.call_id
        (connection,) = app.session._loopback.state.connections
    assert state != "asking" and text.startswith("Let me check.") and "time_now returned:" in text and text.endswith("(UTC)"), (state, text)
    assert [item["call_id"] for item in outputs_sent(connection)] == [call_id]  # the approved call's output, sent once
    assert recorder.loud_seconds() > 0.2  # the spoken answer reached the speaker's sink


@pytest.mark.usefixtures("isolated")
async def test_hands_free_speech_during_a_pending_approval_approves_nothing(pulse, tmp_path):
    from rtchat.ui.widgets.transcript.messages import AssistantMessage
    from rtchat.ui.widgets.transcript.tool_card import ToolCard
    from tests.support.ui import ready, wait_for

    mic, speaker = pulse
    speech = speech_wav(tmp_path, "What time is it?")
    other = tmp_path / "other"
    other.mkdir()
    interruption = speech_wav(other, "Yes, go ahead.")  # words of consent, spoken: still no approval

    async def play(wav) -> None:
        player = await asyncio.create_subprocess_exec("paplay", f"--device={mic}", str(wav))
        assert await player.wait() == 0

    def asking() -> list:
        return [card for card in app.transcript.query(ToolCard) if card.state == "asking"]

    app = tools_voice_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.simulate_key("f7")
        await wait_for(pilot, lambda: app.status.facts.voice == "hands-free", timeout=30)
        await play(speech)  # no key: the server hears it start and stop
        await wait_for(pilot, lambda: len(asking()) == 1, timeout=60)
        first = asking()[0]
        assert app.voice.current.capture.gate_open  # the microphone keeps running while the card asks
        await play(interruption)
        await wait_for(pilot, lambda: len(app.transcript.query(ToolCard)) == 2 and len(asking()) == 1 and asking()[0] is not first, timeout=60)
        reasons = [m.reason for m in app.transcript.query(AssistantMessage)]
        first_state = first.state
        (connection,) = app.session._loopback.state.connections
        sent = outputs_sent(connection)
    assert reasons[0] == "interrupted" and first_state == "cancelled", (reasons, first_state)
    assert sent == []  # the first call never ran, nothing was sent for it; the new answer's call waits for a key


# ---- Gemini Live voice, through PortAudio and PulseAudio


@pytest.mark.usefixtures("isolated")
async def test_push_to_talk_a_live_tool_call_approved_by_key_through_pulseaudio(pulse, tmp_path, monkeypatch):
    """Gemini Live: the tool declared in `setup`, the loopback's `toolCall` for the test MCP server's
    `echo`, approved with `y` while the session stays open, one `toolResponse`, the answer spoken
    and recorded from the speaker's sink (Live's 24 kHz answer once lost audio there under load:
    test_voice_pulseaudio.py's 24 kHz playback test)."""
    from rtchat.ui.widgets.transcript.messages import AssistantMessage
    from rtchat.ui.widgets.transcript.tool_card import ToolCard
    from tests.support.ui import idle, ready, wait_for
    from tests.support.voice_tools import voice_tools_app

    monkeypatch.setenv("GEMINI_API_KEY", "k")  # a dummy the loopback accepts
    mic, speaker = pulse
    speech = speech_wav(tmp_path, "What time is it?")
    recorder = MonitorRecorder(speaker)
    app = voice_tools_app(tmp_path, "gemini/tools", "websocket", ("echo",))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await recorder.start()
        await asked_aloud(pilot, mic, speech)
        app.simulate_key("y")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app) and app.voice.current.state.value == "idle" and app.transcript.query_one(AssistantMessage).reason == "complete", timeout=60)
        played_ms = app.voice.current.buffer.played_ms
        loud = wav_loud_seconds(speech)  # the answer's audio is the question echoed back
        await wait_for(pilot, lambda: recorder.loud_seconds() >= 0.7 * loud, timeout=10)  # its tail, through the device's own latency
        await recorder.stop()
        answer = app.transcript.query_one(AssistantMessage)
        (card,) = app.transcript.query(ToolCard)
        text, state, call_id = answer.text, card.state, card.call_id
        (connection,) = app.session._loopback.state.connections
    assert state == "ok" and text == "echo returned: sample", (state, text)
    assert [d["name"] for d in connection.setup["tools"][0]["functionDeclarations"]] == ["echo"]
    assert [r["id"] for frame in connection.tool_frames for r in frame["toolResponse"]["functionResponses"]] == [call_id]
    assert played_ms > 500  # the spoken answer (the question echoed back) went to the output device
    assert 0.7 * loud <= recorder.loud_seconds() <= 1.15 * loud, (recorder.loud_seconds(), loud)  # and reached the speaker's sink (at 24 kHz, 25-100 % of it was once lost there)


@pytest.mark.usefixtures("isolated")
async def test_a_barge_in_during_a_live_call_through_pulseaudio_cancels_it_and_its_card_says_so(pulse, tmp_path, monkeypatch):
    """The talk key while the approved `wait` runs: Live withdraws the call (`toolCallCancellation`),
    rtchat cancels it at the MCP server, the card says cancelled, and no `toolResponse` is sent."""
    from rtchat.ui.widgets.transcript.messages import AssistantMessage
    from rtchat.ui.widgets.transcript.tool_card import ToolCard
    from tests.support.ui import idle, ready, wait_for
    from tests.support.voice_tools import voice_tools_app

    monkeypatch.setenv("GEMINI_API_KEY", "k")
    mic, _ = pulse
    speech = speech_wav(tmp_path, "Wait for me.")
    app = voice_tools_app(tmp_path, "gemini/tools", "websocket", ("wait",))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await asked_aloud(pilot, mic, speech)
        app.simulate_key("y")
        (card,) = app.transcript.query(ToolCard)
        await wait_for(pilot, lambda: card.state == "running", timeout=60)
        app.simulate_key("f3")  # the talk key while the call runs: a barge-in
        await wait_for(pilot, lambda: card.state == "cancelled" and idle(app), timeout=60)
        await wait_for(pilot, lambda: bool(app.voice.current.link.withdrawn), timeout=60)
        withdrawn = set(app.voice.current.link.withdrawn)
        reason = app.transcript.query_one(AssistantMessage).reason
        (connection,) = app.session._loopback.state.connections
    assert reason == "interrupted" and withdrawn == {card.call_id}
    assert connection.tool_frames == []  # nothing was sent for the withdrawn call

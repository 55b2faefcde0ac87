"""Tools while talking to Gemini Live: declared in `setup`, a `toolCall` approved and run against a
real stdio MCP server while the session stays open, one `toolResponse`, and the answer spoken
after it; a `toolCallCancellation` (the user cut in) cancels the call at the MCP server too.

The speech is espeak-ng's WAV through the real capture path (push-to-talk) or a hand-fed
microphone (hands-free) to the loopback's Live endpoint; its `tools` model calls the first tool
it is offered. The loopback records every `toolResponse` it received, so what was (not) sent for
a cancelled call is asserted on the wire. The approver is the one fake: a key pressed at once.
"""

from __future__ import annotations

import asyncio

import pytest

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.config_rules import NetworkSettings, ToolSettings
from rtchat.events import Done, Notice, ToolCallRequest, ToolCallResult, Transcript
from rtchat.tools.approval import ConversationTools
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import ToolSession
from rtchat.voice.links import GeminiLiveLink
from rtchat.voice.session import VoiceSession
from tests.support.approvers import Yes
from tests.support.mcp_servers import WAIT_CANCELLED, WAIT_STARTED, stdio_config
from tests.support.voice import HandFedSource, loud_seconds_after, speech_wav, spoken_exchange, spoken_then_quiet, voice_target
from tests.support.wait import Log, until


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("speech"), "What time is it?")


async def live_voice(loopback, registry, tool: str, source, hands_free: bool = False) -> VoiceSession:
    """A started Live voice session offering one tool of the test MCP server."""
    await registry.start(["local"], lambda notice: None)
    others = {t.name for t in registry.tools(["local"]) if t.original != tool}
    tools = ToolSession(registry, Yes(), ConversationTools({"local"}, others), ToolSettings(), "gemini")
    link = GeminiLiveLink(voice_target(loopback.url, "tools", "fake-key", "gemini"), NetworkSettings(), hands_free=hands_free)
    voice = VoiceSession(link, Capture(source), ClockSpeaker, tools=tools, hands_free=hands_free)
    await voice.start(open_microphone=hands_free)
    return voice


def collect(voice, events: list) -> asyncio.Task:
    async def run() -> None:
        async for event in voice.events():
            events.append(event)
            if isinstance(event, Done):
                return

    return asyncio.create_task(run())


def tool_responses(connection) -> list[dict]:
    return [answer for frame in connection.tool_frames for answer in frame["toolResponse"]["functionResponses"]]


async def test_a_spoken_question_calls_a_tool_over_live_and_the_answer_is_spoken_after_its_result(loopback, speech):
    registry = ToolRegistry({"local": stdio_config("local")}, ToolSettings())
    source = wav_source(speech)
    voice = await live_voice(loopback, registry, "echo", source)
    try:
        events: list = []
        await asyncio.wait_for(await spoken_exchange(voice, source, events), 60)
    finally:
        await voice.close()
        await registry.aclose()
    (connection,) = loopback.connections  # one session: the call did not reopen it
    declared = connection.setup["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declared] == ["echo"]
    (request,) = [e for e in events if isinstance(e, ToolCallRequest)]
    (result,) = [e for e in events if isinstance(e, ToolCallResult)]
    assert (request.name, request.server, result.status, result.output) == ("echo", "local", "ok", "sample")
    (answer,) = tool_responses(connection)  # one `toolResponse`, for the call the server asked for
    assert answer["id"] == request.id and answer["name"] == "echo" and answer["response"]
    spoken = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert spoken == "echo returned: sample"
    assert loud_seconds_after(events, ToolCallResult) > 0.5  # spoken after the result (the loopback echoes the question)
    assert events[-1] == Done("complete")


async def test_a_barge_in_during_a_live_call_withdraws_it_and_cancels_it_at_the_mcp_server(loopback, speech):
    log = Log()
    registry = ToolRegistry({"local": stdio_config("local")}, ToolSettings(), log=log)
    source = wav_source(speech)
    voice = await live_voice(loopback, registry, "wait", source)
    try:
        events: list = []
        collector = await spoken_exchange(voice, source, events)
        await log.saw(WAIT_STARTED)  # the call runs at the MCP server
        await voice.toggle()  # the talk key while it runs: a barge-in (Live: `activityStart`)
        await asyncio.wait_for(collector, 30)
        await log.saw(WAIT_CANCELLED)
        (connection,) = loopback.connections
        await until(lambda: bool(voice.link.withdrawn), what="the server withdrew the call")
    finally:
        await voice.close()
        await registry.aclose()
    assert events[-1] == Done("interrupted")
    assert not any(isinstance(e, ToolCallResult) for e in events), "a result after the barge-in is dropped"
    (request,) = [e for e in events if isinstance(e, ToolCallRequest)]
    assert voice.link.withdrawn == {request.id}
    assert tool_responses(connection) == []  # nothing was sent for the withdrawn call


async def test_hands_free_speech_during_a_live_call_cancels_it_through_the_server_s_withdrawal(loopback):
    """Hands-free, Live's own activity detection hears the user cut in and withdraws the call
    (`toolCallCancellation`): the session cancels it at the MCP server and ends the answer."""
    log = Log()
    registry = ToolRegistry({"local": stdio_config("local")}, ToolSettings(), log=log)
    mic = HandFedSource()
    voice = await live_voice(loopback, registry, "wait", mic, hands_free=True)
    try:
        events: list = []
        collector = collect(voice, events)
        mic.say(spoken_then_quiet())  # the server hears speech start and stop: a turn, and the call
        await log.saw(WAIT_STARTED)
        assert voice.turn is not None and not voice.turn.ended
        mic.say(spoken_then_quiet())  # speech again while the call runs
        await asyncio.wait_for(collector, 30)
        await log.saw(WAIT_CANCELLED)
    finally:
        await voice.close()
        await registry.aclose()
    (request,) = [e for e in events if isinstance(e, ToolCallRequest)]
    assert events[-1] == Done("interrupted")
    assert voice.link.withdrawn == {request.id}
    assert any(isinstance(e, Notice) and request.id in e.text for e in events)  # said: withdrawn, no result sent
    assert tool_responses(loopback.connections[0]) == []

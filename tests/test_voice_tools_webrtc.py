"""Over WebRTC a spoken tool step's "audio stopped" can arrive after rtchat already sent the
calls' outputs (the step's "let me check" still draining on the track): it must not end the
answer before the second response's audio plays.

The loopback forces that order every time (it holds the step's `output_audio_buffer.stopped`
until the outputs came back and the next response begins). Real speech (espeak-ng's WAV)
through the real capture path, Opus on the tracks, a real stdio MCP server; the approver is the
one fake (a key pressed at once).
"""

from __future__ import annotations

import asyncio

import httpx

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.config_rules import NetworkSettings, ToolSettings, VoiceSettings
from rtchat.events import AnswerAudioStopped, Done, ToolCallResult, Transcript
from rtchat.tools.approval import ConversationTools
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import ToolSession
from rtchat.voice.links import link_for
from rtchat.voice.session import VoiceSession
from tests.support.approvers import Yes
from tests.support.mcp_servers import stdio_config
from tests.support.voice import loud_seconds_after, speech_wav, spoken_exchange, voice_target


async def test_a_step_s_audio_stopped_after_the_outputs_does_not_end_the_answer_early(loopback, tmp_path):
    speech = speech_wav(tmp_path, "What time is it?")
    registry = ToolRegistry({"local": stdio_config("local")}, ToolSettings())
    await registry.start(["local"], lambda notice: None)
    others = {tool.name for tool in registry.tools(["local"]) if tool.original != "echo"}
    tools = ToolSession(registry, Yes(), ConversationTools({"local"}, others), ToolSettings(), "loopback")
    client = httpx.AsyncClient()
    model = "tools@ttft=600"  # the answer after the step begins 0.6 s on: a quiet gap after the step's audio
    link = link_for(voice_target(loopback.url + "/v1", model), "webrtc", VoiceSettings(), client, NetworkSettings())
    source = wav_source(speech)
    voice = VoiceSession(link, Capture(source), ClockSpeaker, tools=tools)
    order: list[str] = []  # what crossed the data channel, as the session saw it
    heard = link.on_event
    sent = link.send_tool_results
    link.send_tool_results = lambda results: (order.append("outputs sent"), sent(results))[1]
    events: list = []
    try:
        await voice.start(open_microphone=False)
        link.on_event = lambda event: (order.append("audio stopped") if isinstance(event, AnswerAudioStopped) else None, heard(event))
        await asyncio.wait_for(await spoken_exchange(voice, source, events), 60)
    finally:
        await voice.close()
        await client.aclose()
        await registry.aclose()
    assert order.index("outputs sent") < order.index("audio stopped")  # the forced order: the step's stop came late
    assert events[-1] == Done("complete")
    spoken = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert spoken == "Let me check. echo returned: sample"
    answer_seconds = loud_seconds_after(events, ToolCallResult)
    assert answer_seconds > 0.5, answer_seconds  # the second response's audio (the question echoed back) was played, not cut

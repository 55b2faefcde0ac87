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
import numpy as np

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.config_rules import NetworkSettings, ToolSettings, VoiceSettings
from rtchat.events import AnswerAudioStopped, AudioChunk, Done, ToolCallResult, Transcript
from rtchat.tools.approval import ConversationTools, Decision
from rtchat.tools.registry import ToolRegistry
from rtchat.tools.runner import ToolSession
from rtchat.voice.links import link_for
from rtchat.voice.session import VoiceSession
from tests.support.mcp_servers import stdio_config
from tests.support.voice import loud_seconds, speech_wav, voice_target


class Yes:
    async def decide(self, request):
        return Decision.ONCE


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

        async def collect() -> None:
            async for event in voice.events():
                events.append(event)
                if isinstance(event, Done):
                    return

        collector = asyncio.create_task(collect())
        await voice.start_talking()
        voice.capture.start()
        await source.finished.wait()
        await voice.stop_talking()
        await asyncio.wait_for(collector, 60)
    finally:
        await voice.close()
        await client.aclose()
        await registry.aclose()
    assert order.index("outputs sent") < order.index("audio stopped")  # the forced order: the step's stop came late
    assert events[-1] == Done("complete")
    spoken = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert spoken == "Let me check. echo returned: sample"
    after = [e for e in events[[i for i, e in enumerate(events) if isinstance(e, ToolCallResult)][0] :] if isinstance(e, AudioChunk)]
    pcm = np.frombuffer(b"".join(e.pcm for e in after), "<i2").astype(np.float32) / 32768
    answer_seconds = loud_seconds(pcm, after[0].rate) if after else 0.0
    assert answer_seconds > 0.5, answer_seconds  # the second response's audio (the question echoed back) was played, not cut

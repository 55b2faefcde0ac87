"""A server that speaks only the Realtime beta dialect answers voice over the WebSocket and
over WebRTC, and text over WebRTC: the loopback's beta-only routes (`/beta/v1/...`)."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from rtchat.config import NetworkSettings
from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.catalog import ModelInfo, provider_from_config
from rtchat.conversation import Conversation
from rtchat.events import AudioChunk, Done, Transcript
from rtchat.transports.webrtc import calls_url
from rtchat.voice.links import RealtimeSocketLink, WebRTCLink
from rtchat.voice.session import VoiceSession
from tests.support.turns import done_of, errors_of, run_turn, text_of
from tests.support.voice import heard_seconds, speech_wav, voice_target, wav_speech_seconds
from tests.support.voice import spoken_once as spoken
from tests.support.ws import make_session


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("speech"))


def answer_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
async def test_a_beta_only_server_hears_and_answers_voice(loopback, speech, transport):
    source = wav_source(speech)
    client = httpx.AsyncClient()
    base = loopback.url + "/beta/v1"
    link = RealtimeSocketLink(voice_target(base), NetworkSettings()) if transport == "websocket" else WebRTCLink(client, calls_url(base, "echo"), None)
    try:
        events = await spoken(VoiceSession(link, Capture(source), ClockSpeaker), source)
    finally:
        await client.aclose()
    expected = wav_speech_seconds(speech)
    assert abs(heard_seconds(answer_of(events)) - expected) <= max(0.1 * expected, 0.1), answer_of(events)
    assert any(isinstance(e, AudioChunk) for e in events), "the answer's audio arrived under the beta names"
    assert isinstance(events[-1], Done) and events[-1].reason == "complete"
    paths = [c.path for c in loopback.connections] + [r.path for r in loopback.records]
    assert any(path.startswith("/beta/v1/realtime") for path in paths)


async def test_a_beta_only_server_answers_text_over_webrtc(isolated, loopback):
    session = make_session()
    beta = provider_from_config("betaserver", {"base_url": loopback.url + "/beta/v1", "needs_key": False, "models": ["echo"]}, None)
    session.config.catalog.providers["betaserver"] = replace(beta, ws_wire="openai_realtime", models=(ModelInfo("echo", True, ("sse", "websocket", "webrtc"), voice=True),))
    try:
        target = await session.resolve("betaserver/echo")
        conversation = Conversation()
        first, _ = await run_turn(session, target, conversation, "first", protocol="webrtc")
        second, _ = await run_turn(session, target, conversation, "second", protocol="webrtc")
    finally:
        await session.aclose()
    assert errors_of(first) == errors_of(second) == []
    assert done_of(first) == done_of(second) == "complete"
    assert "first" in text_of(first) and "(turn 2)" in text_of(second)

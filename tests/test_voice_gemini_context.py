"""Gemini Live voice keeps the conversation: a new Live session (voice opened on a
conversation, or F7 switching hands-free, which Live can only do with a new
session) is seeded with the turns so far, and the next answer builds on them.
Against the loopback's Live endpoint, which records each answer's context."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.catalog import ModelInfo
from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import ChatMessage
from rtchat.ui.app import RtChatApp
from rtchat.ui.controllers.voice_devices import silent_devices
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from rtchat.voice.links import GeminiLiveLink
from rtchat.voice.session import VoiceSession
from tests.support.ui import idle, ready, send, wait_for
from tests.support.voice import HandFedSource, run_spoken_turn, speech_wav, spoken_then_quiet, syllables, tap, voice_state, voice_target

SIZE = (120, 40)

EARLIER = [ChatMessage("user", "the password is plum"), ChatMessage("assistant", "noted: plum")]


def answered_on(loopback_state, connection: int) -> list[dict]:
    """The loopback's records of the answers one Live socket gave."""
    return [record.request_json for record in loopback_state.records if record.wire == "gemini_live" and record.connection == connection]


async def test_a_new_live_voice_session_starts_from_the_conversation(loopback, tmp_path):
    source = wav_source(speech_wav(tmp_path))
    link = GeminiLiveLink(voice_target(loopback.url, "echo", "fake-key", "gemini"), NetworkSettings(), history=EARLIER)
    voice = VoiceSession(link, Capture(source), ClockSpeaker)
    await voice.start(open_microphone=False)

    async def talk() -> None:
        voice.capture.start()
        await source.finished.wait()

    try:
        await run_spoken_turn(voice, source, talk)
    finally:
        await voice.close()
    assert link.sent_log[0] == "clientContent"  # before any speech
    [answer] = answered_on(loopback.state, 0)
    assert answer["context"][:2] == [["user", "the password is plum"], ["model", "noted: plum"]]
    assert answer["context"][2][0] == "user" and answer["context"][2][1].endswith(" s of audio]")


def gemini_live_app(monkeypatch, source) -> RtChatApp:
    """The app with Gemini served by its own loopback (empty base URL), its `echo` declared a Live voice model."""
    monkeypatch.setenv("GEMINI_API_KEY", "k")  # a dummy the loopback accepts
    config = load_config()
    gemini = config.catalog.providers["gemini"]
    live_echo = ModelInfo("echo", False, ("websocket",), voice=True, ws_wire="gemini_live")
    config.catalog.providers["gemini"] = replace(gemini, base_url="", models=(live_echo, *gemini.models))
    return RtChatApp(config, model="gemini/echo", protocol="websocket", voice_devices=silent_devices(lambda: source))


@pytest.mark.usefixtures("isolated")
async def test_f7_on_gemini_live_goes_hands_free_and_keeps_the_conversation(monkeypatch):
    source = HandFedSource()
    app = gemini_live_app(monkeypatch, source)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "the password is plum")
        await wait_for(pilot, lambda: idle(app) and len(app.transcript.query(AssistantMessage)) == 1)
        tap(pilot, "f3")  # push-to-talk first: one spoken exchange on a manual-activity session
        await wait_for(pilot, lambda: voice_state(app) == "listening", timeout=20)
        source.say(syllables())
        tap(pilot, "f3")
        await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) == 2 and idle(app) and voice_state(app) == "idle", timeout=20)
        loopback = app.session._loopback.state
        push_to_talk = len(loopback.connections) - 1
        assert loopback.connections[push_to_talk].setup["realtimeInputConfig"] == {"automaticActivityDetection": {"disabled": True}}
        before = [[m.role if m.role == "user" else "model", m.text] for m in app.state.conversation.messages]

        tap(pilot, "f7")  # Live fixes activity detection at setup: a new session, seeded with the four turns
        await wait_for(pilot, lambda: app.status.facts.voice == "hands-free", timeout=20)
        hands_free = len(loopback.connections) - 1
        assert hands_free > push_to_talk and "realtimeInputConfig" not in loopback.connections[hands_free].setup
        source.say(spoken_then_quiet())  # no key: the server hears the speech start and stop
        await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) == 3 and idle(app) and voice_state(app) == "idle", timeout=20)
        answer = app.transcript.query(AssistantMessage).last()
        assert answer.text.startswith("heard ") and answer.reason == "complete"
        assert app.status.facts.voice == "hands-free"
        [heard] = answered_on(loopback, hands_free)
        assert heard["context"][:4] == before, heard["context"]  # the typed and the spoken turns both carried over
        assert heard["context"][4][0] == "user" and heard["context"][4][1].endswith(" s of audio]")

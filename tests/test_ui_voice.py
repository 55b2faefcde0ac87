"""Voice in the app: push-to-talk against the loopback with an injected audio
source (no microphone, no sound card), the one-line message when PortAudio is
missing, and WebRTC chosen for typed text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.audio.pcm import speech_duration
from rtchat.audio.support import AudioUnavailable
from rtchat.store import Store, default_path
from rtchat.ui.choices import IMPLEMENTED_PROTOCOLS
from rtchat.ui.controllers.voice_devices import silent_devices
from rtchat.ui.widgets.transcript.messages import AssistantMessage, ErrorMessage, UserMessage
from rtchat.ui.widgets.status.status_line import StatusFacts, format_status, level_meter
from tests.support.ui import idle, make_app, ready, send, wait_for
from tests.support.voice import MIC_RATE as RATE, HandFedSource, spoken_then_quiet, syllables, tap, voice_state

SIZE = (120, 40)


pytestmark = pytest.mark.usefixtures("isolated")


def status_lines(app) -> list:
    """Every state of the status line from now on, in order (a copy of its facts at each update)."""
    seen: list = []
    show = app.status.show

    def recording(**facts):
        result = show(**facts)
        seen.append(replace(app.status.facts))
        return result

    app.status.show = recording
    return seen


async def test_push_to_talk_turn_over_webrtc_is_shown_and_stored():
    source = HandFedSource()
    app = make_app(protocol="webrtc", voice_devices=silent_devices(lambda: source))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "listening", timeout=20)
        shown = status_lines(app)
        speech = syllables()
        source.say(speech)
        # The meter shows the speech for one redraw (0.1 s): wait for a status line that showed it,
        # not for the live facts, which a poll on a loaded machine can miss.
        await wait_for(pilot, lambda: any((facts.level_dbfs or -100) > -30 for facts in shown))
        loud = next(facts for facts in shown if (facts.level_dbfs or -100) > -30)
        assert "voice listening" in format_status(loud) and "█" in format_status(loud)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app) and voice_state(app) == "idle", timeout=20)
        said = app.transcript.query_one(UserMessage).text
        answer = app.transcript.query_one(AssistantMessage)
        expected = speech_duration(speech, RATE)
        assert said.startswith("[") and said.endswith(" s of audio]"), said  # the loopback's "transcription"
        assert abs(float(said[1:].split()[0]) - expected) <= 0.15, (said, expected)
        assert answer.text.startswith("heard ") and abs(float(answer.text.split()[1]) - expected) <= 0.15, answer.text
        assert answer.reason == "complete"
        assert app.status.facts.voice == "idle" and app.status.facts.first_audio_ms is not None
        assert [m.role for m in app.state.conversation.messages] == ["user", "assistant"]
        assert app.state.conversation.messages[0].text == said
        conversation_id = app.history.conversation_id
        # a second exchange, cut short with ctrl+c while the answer speaks
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "listening")
        source.say(syllables(3))
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "speaking", timeout=20)
        tap(pilot, "ctrl+c")
        await wait_for(pilot, lambda: idle(app) and voice_state(app) == "idle")
        assert app.transcript.query(AssistantMessage).last().reason == "interrupted"
    store = Store.open(default_path())
    record, messages = store.load_conversation(conversation_id)
    assert record.protocol == "webrtc"
    assert [(m.role, m.transcript) for m in messages[:2]] == [("user", said), ("assistant", answer.text)]
    assert messages[1].status == "complete" and messages[3].status == "interrupted"
    store.close()


async def test_ctrl_c_while_talking_drops_the_speech():
    source = HandFedSource()
    app = make_app(protocol="websocket", voice_devices=silent_devices(lambda: source))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "listening", timeout=20)
        assert app.voice.mode.opened_for == ("loopback/echo", "websocket")
        source.say(syllables(2))
        tap(pilot, "ctrl+c")
        await wait_for(pilot, lambda: voice_state(app) == "idle")
        await pilot.pause(0.3)  # the scenario: the app must stay silent; an answer to the dropped speech would show by now
        assert not app.transcript.query(AssistantMessage) and app.turns.runner is None


async def test_missing_portaudio_is_one_line_and_text_chat_goes_on():
    def no_portaudio():
        raise AudioUnavailable("voice needs PortAudio: install libportaudio2 (e.g. apt-get install libportaudio2)")

    app = make_app(voice_devices=silent_devices(no_portaudio))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: app.transcript.query(ErrorMessage))
        error = app.transcript.query_one(ErrorMessage)
        assert error.text == "voice needs PortAudio: install libportaudio2 (e.g. apt-get install libportaudio2)"
        assert app.voice.current is None and app.status.facts.voice is None
        await send(pilot, "still typing")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app))
        assert "still typing" in app.transcript.query_one(AssistantMessage).text


async def test_a_model_without_voice_says_so():
    app = make_app(model="loopback/lorem", voice_devices=silent_devices(HandFedSource))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: app.transcript.query(ErrorMessage))
        assert "does not take voice" in app.transcript.query_one(ErrorMessage).text


async def test_typing_over_webrtc_answers_or_points_at_the_talk_key():
    app = make_app(protocol="webrtc")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "hello over webrtc")
        await wait_for(pilot, lambda: (app.transcript.query(ErrorMessage) or app.transcript.query(AssistantMessage)) and idle(app), timeout=20)
        if "webrtc" in IMPLEMENTED_PROTOCOLS:  # text on the data channel has landed
            assert "hello over webrtc" in app.transcript.query_one(AssistantMessage).text
        else:
            assert "WebRTC in rtchat carries voice: press f3" in app.transcript.query_one(ErrorMessage).text
        assert app.voice.current is None  # typing never opens voice mode


def test_the_voice_only_message_names_the_talk_key(monkeypatch):
    from rtchat.ui import choices

    monkeypatch.setattr(choices, "IMPLEMENTED_PROTOCOLS", ("sse", "websocket"))
    text = choices.not_implemented_message("webrtc", "ctrl+@")
    assert text.startswith("WebRTC in rtchat carries voice: press ctrl+@ to talk") and "SSE or WebSocket with ctrl+n" in text


def test_level_meter_and_voice_status():
    assert level_meter(-60) == "░" * 8 and level_meter(0) == "█" * 8 and level_meter(-30) == "████░░░░"
    facts = StatusFacts(model="loopback/echo", voice="listening", voice_link="WebRTC connected", level_dbfs=-12.0, connect_ms=40)
    line = format_status(facts)
    assert line.startswith("loopback/echo · voice listening ██████░░ -12 dB · WebRTC connected │")
    assert "first audio –" in line and "connect 40 ms" in line


@pytest.mark.parametrize("protocol", ["websocket", "webrtc"])
async def test_hands_free_turns_and_a_barge_in(protocol):
    source = HandFedSource()
    app = make_app(protocol=protocol, voice_devices=silent_devices(lambda: source))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tap(pilot, "f7")
        await wait_for(pilot, lambda: app.status.facts.voice == "hands-free", timeout=20)
        seen: list[str] = []
        app.voice.current.on_state = lambda state: seen.append(state.value) or app.voice.on_change()
        speech = spoken_then_quiet()
        source.say(speech)  # no key: the server hears the speech start and stop
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app) and voice_state(app) == "idle", timeout=20)
        assert seen[:3] == ["listening", "thinking", "speaking"]
        said = app.transcript.query_one(UserMessage).text
        answer = app.transcript.query_one(AssistantMessage)
        assert said.endswith(" s of audio]") and answer.text.startswith("heard ") and answer.reason == "complete"
        assert app.status.facts.voice == "hands-free"
        # speaking over the next answer cuts it where it was heard
        source.say(spoken_then_quiet(8))
        await wait_for(pilot, lambda: voice_state(app) == "speaking", timeout=20)
        await wait_for(pilot, lambda: app.voice.current.buffer.played_ms >= 300, timeout=20)
        source.say(spoken_then_quiet(3))
        await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) == 3 and idle(app) and voice_state(app) == "idle", timeout=30)
        assert [m.reason for m in app.transcript.query(AssistantMessage)] == ["complete", "interrupted", "complete"]
        connection = app.session._loopback.state.connections[-1]
        assert connection.truncated_ms == [app.voice.current.truncated_at_ms] and connection.truncated_ms[0] >= 300
        tap(pilot, "f7")  # back to push-to-talk: the server's detector is off again
        await wait_for(pilot, lambda: app.status.facts.voice == "idle")
        assert app.voice.current.capture.gate_open is False
        conversation_id = app.history.conversation_id
    store = Store.open(default_path())
    _, messages = store.load_conversation(conversation_id)
    assert (messages[0].role, messages[0].transcript, messages[1].transcript) == ("user", said, answer.text)
    hits = store.search("heard audio")
    assert {(hit.conversation_id, hit.role) for hit in hits} >= {(conversation_id, "assistant")}
    assert any(hit.role == "user" for hit in store.search(said.strip("[]").split()[0] + " audio"))  # the user's words are found too
    store.close()

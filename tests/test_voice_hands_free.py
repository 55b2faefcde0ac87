"""Hands-free voice and barge-in against the loopback, over the Realtime WebSocket and WebRTC:
the server's voice activity detection (the loopback's energy detector) starts and ends the
user's turn, and speech during an answer cuts it where it was heard."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest

from rtchat.config import NetworkSettings
from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import ArraySource
from rtchat.audio.wavfile import read_wav
from rtchat.events import Done, Transcript
from rtchat.loopback.vad import EnergyVad
from rtchat.transports.webrtc import calls_url
from rtchat.voice.links import GeminiLiveLink, RealtimeSocketLink, WebRTCLink
from rtchat.voice.ptt import VoiceState
from rtchat.voice.session import VoiceSession
from rtchat.wire import openai_realtime as rt
from tests.support.voice import heard_seconds, speech_wav
from tests.support.voice import voice_target
from tests.support.wait import until

TRANSPORTS = ("websocket", "webrtc", "gemini")


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    samples, rate = read_wav(speech_wav(tmp_path_factory.mktemp("speech")))
    return samples, rate


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory):
    """2.3 s of speech: its echo still plays a second after the next sentence starts."""
    samples, rate = read_wav(speech_wav(tmp_path_factory.mktemp("long"), "Push to talk works over the loopback."))
    return samples, rate


def clip(speech, *gaps_and_speech: float | bool | tuple) -> ArraySource:
    """Speech (True, or another recording at the same rate) and silences (seconds) in order,
    delivered in real time as a microphone would."""
    samples, rate = speech
    parts = [samples if part is True else part[0] if isinstance(part, tuple) else np.zeros(int(part * rate), np.float32) for part in gaps_and_speech]
    return ArraySource(np.concatenate(parts), rate, realtime=True)


def make_voice(loopback, transport: str, source: ArraySource, states: list, **options) -> VoiceSession:
    if transport == "webrtc":
        link = WebRTCLink(httpx.AsyncClient(), calls_url(loopback.url + "/v1", "echo"), None)
    elif transport == "gemini":
        link = GeminiLiveLink(voice_target(loopback.url, "echo", "fake-key", "gemini"), NetworkSettings(), hands_free=options.get("hands_free", False))
    else:
        link = RealtimeSocketLink(voice_target(loopback.url + "/v1"), NetworkSettings())
    return VoiceSession(link, Capture(source), ClockSpeaker, on_state=states.append, **options)


async def collect_until(voice: VoiceSession, done: int, events: list) -> None:
    async for event in voice.events():
        events.append(event)
        if sum(isinstance(e, Done) for e in events) == done:
            return


def test_the_energy_detector_finds_speech_edges_in_milliseconds():
    rate = 24000
    loud = (np.sin(np.arange(rate // 2) / 3) * 8000).astype("<i2").tobytes()  # 500 ms of sound
    quiet = bytes(rate * 2)  # 1 s of silence
    vad = EnergyVad(rate, silence_ms=500)
    edges = vad.feed(quiet[: rate // 5 * 2]) + vad.feed(loud) + vad.feed(quiet)
    assert [(e.started, e.ms) for e in edges] == [(True, 200), (False, 700)]


def test_turn_detection_goes_where_each_dialect_wants_it():
    ga = rt.session_update(["audio"], vad="server_vad")["session"]
    assert ga["audio"]["input"]["turn_detection"] == {"type": "server_vad", "create_response": True, "interrupt_response": True, "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}
    beta = rt.session_update(["audio"], vad="semantic_vad", dialect=rt.BETA)["session"]
    assert beta["turn_detection"] == {"type": "semantic_vad", "create_response": True, "interrupt_response": True, "eagerness": "auto"}
    assert rt.vad_update(None) == {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}}}
    assert rt.vad_update("server_vad", rt.BETA)["session"]["turn_detection"]["type"] == "server_vad"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_hands_free_the_server_hears_the_turn_end_and_answers(loopback, speech, transport):
    states: list = []
    turns: list = []
    source = clip(speech, 0.3, True, 1.0)
    voice = make_voice(loopback, transport, source, states, hands_free=True, on_turn=lambda: turns.append(voice.speech_seconds))
    events: list = []
    collector = asyncio.create_task(collect_until(voice, 1, events))
    await voice.start()
    await asyncio.wait_for(collector, 30)
    await voice.close()
    connection = loopback.state.connections[-1]
    if transport == "gemini":  # Live's automatic activity detection: no activity messages were sent
        assert connection.setup.get("realtimeInputConfig") is None and voice.link.sent_log.count("audio") > 0
        assert not {"activityStart", "activityEnd"} & set(voice.link.sent_log)
    else:
        assert "input_audio_buffer.commit" not in connection.received and "response.create" not in connection.received  # the server did both
    assert states[:3] == [VoiceState.LISTENING, VoiceState.THINKING, VoiceState.SPEAKING] and states[-1] is VoiceState.IDLE
    user = [e for e in events if isinstance(e, Transcript) and e.role == "user"]
    assert user and user[-1].final and user[-1].text.endswith(" s of audio]")
    if transport != "gemini":
        assert len(user) > 1  # streamed as recognised, then whole
    said = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    if transport != "gemini":  # Live says nothing of where speech started and stopped
        assert abs(heard_seconds(said) - turns[0]) <= 0.1, (said, turns)  # the loopback measured the speech its detector cut
    assert events[-1] == Done("complete")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_hands_free_speech_during_the_answer_barges_in_at_the_played_ms(loopback, speech, long_speech, transport):
    states: list = []
    assert long_speech[1] == speech[1]
    source = clip(speech, 0.3, long_speech, 1.0, True, 0.8)  # the second sentence starts about 1 s into the 2.3 s echo of the first
    voice = make_voice(loopback, transport, source, states, hands_free=True)
    events: list = []
    collector = asyncio.create_task(collect_until(voice, 2, events))
    await voice.start()
    await asyncio.wait_for(collector, 40)
    await voice.close()
    dones = [e for e in events if isinstance(e, Done)]
    assert dones == [Done("interrupted"), Done("complete")]
    connection = loopback.state.connections[-1]
    if transport == "gemini":  # Live has no truncate: the server said `interrupted` when it heard speech over its answer
        assert voice.truncated_at_ms is not None and voice.truncated_at_ms > 0
        return
    assert voice.truncated_at_ms is not None and voice.truncated_at_ms > 0
    assert connection.truncated_ms == [voice.truncated_at_ms]  # the server was told exactly what was heard
    expected = ["conversation.item.truncate"] if transport == "websocket" else ["output_audio_buffer.clear", "conversation.item.truncate"]
    cut = [kind for kind in connection.received if kind in ("output_audio_buffer.clear", "conversation.item.truncate")]
    assert cut == expected


@pytest.mark.parametrize("transport", TRANSPORTS[:2])
async def test_push_to_talk_barge_in_truncates_at_the_played_ms(loopback, speech, transport):
    states: list = []
    source = clip(speech, 0.2, True, 0.2)
    voice = make_voice(loopback, transport, source, states)
    events: list = []
    collector = asyncio.create_task(collect_until(voice, 1, events))
    await voice.start(open_microphone=False)
    await voice.start_talking()
    voice.capture.start()
    await source.finished.wait()
    await voice.stop_talking()
    await until(lambda: voice.state is VoiceState.SPEAKING and voice.buffer.played_ms >= 500, 20, "the answer sounding")
    await voice.toggle()  # talk again while it plays: barge in
    await asyncio.wait_for(collector, 10)
    await voice.close()
    assert events[-1] == Done("interrupted") and voice.state is VoiceState.LISTENING
    connection = loopback.state.connections[-1]
    assert connection.truncated_ms == [voice.truncated_at_ms] and voice.truncated_at_ms >= 500
    stops = [kind for kind in connection.received if kind in ("response.cancel", "output_audio_buffer.clear", "conversation.item.truncate")]
    assert stops[-1] == "conversation.item.truncate" and ("output_audio_buffer.clear" in stops) == (transport == "webrtc")

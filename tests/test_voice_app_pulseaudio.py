"""Voice in the app end to end through PortAudio and PulseAudio: the app's own microphone and
speaker (no injected devices). An espeak-ng WAV is played into one null sink whose monitor is the
app's microphone; the app plays its answer into another null sink whose monitor the test records.
Push-to-talk, hands-free and a barge-in, over WebRTC to the loopback; each checks the transcript,
the states the status line went through, and that the answer's audio reached the speaker."""

from __future__ import annotations

import asyncio

import pytest

from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage
from tests.support.ui import idle, make_app, ready, wait_for
from tests.support.voice import MonitorRecorder, pulse_as_default_devices, speech_wav, wav_loud_seconds, wav_speech_seconds

SIZE = (120, 40)
QUIET_DBFS = -60.0

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def pulse(monkeypatch):
    with pulse_as_default_devices(monkeypatch) as sinks:
        yield sinks


async def play(sink: str, wav) -> None:
    """paplay returns once the sink has played all of it."""
    player = await asyncio.create_subprocess_exec("paplay", f"--device={sink}", str(wav))
    assert await player.wait() == 0


def watch_states(app) -> list[str]:
    """Every state the voice session announces, in order (the status line shows each)."""
    seen: list[str] = []
    voice = app.voice.current
    announce = voice.on_state
    voice.on_state = lambda state: (seen.append(state.value), announce(state))
    return seen


def tap(pilot, key: str) -> None:
    pilot.app.simulate_key(key)  # no idle wait: aiortc's threads keep the app from idling


async def open_voice(pilot, key: str, opened, recorder: MonitorRecorder) -> list[str]:
    """Press `key`, wait until voice mode is `opened()`, start recording the speaker; the states seen from then on."""
    await ready(pilot)
    tap(pilot, key)
    await wait_for(pilot, opened, timeout=30)
    seen = watch_states(pilot.app)
    await recorder.start()
    return seen


async def test_push_to_talk_through_pulseaudio(pulse, tmp_path):
    mic, speaker = pulse
    speech = speech_wav(tmp_path, "What is the capital of France?")  # 1.5 s loud: the 15 % below holds through a loaded machine's underruns
    recorder = MonitorRecorder(speaker)
    app = make_app(protocol="webrtc")
    async with app.run_test(size=SIZE) as pilot:
        seen = await open_voice(pilot, "f3", lambda: app.voice.current is not None and app.voice.current.state.value == "listening", recorder)
        await play(mic, speech)
        await wait_for(pilot, lambda: app.voice.current.capture.level_dbfs < QUIET_DBFS)  # its tail has come through
        tap(pilot, "f3")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app) and app.voice.current.state.value == "idle", timeout=30)
        await recorder.stop()
        said = app.transcript.query_one(UserMessage).text
        answer = app.transcript.query_one(AssistantMessage)
    expected = wav_speech_seconds(speech)
    assert abs(float(said[1:].split()[0]) - expected) <= 0.1 * expected + 0.05, (said, expected)
    assert answer.reason == "complete" and answer.text.startswith("heard ")
    assert seen == ["thinking", "speaking", "idle"]  # listening came before the watch began
    # the echo of the speech reached the speaker's sink: as much loud sound as the speech has (the
    # span is no measure there: PortAudio's underruns on a loaded machine slip silence into it)
    loud = wav_loud_seconds(speech)
    assert abs(recorder.loud_seconds() - loud) <= 0.15 * loud, (recorder.loud_seconds(), loud)


async def test_hands_free_and_a_barge_in_through_pulseaudio(pulse, tmp_path):
    mic, speaker = pulse
    long_speech = speech_wav(tmp_path, "Tell me a story about the sea and the ships.")
    short = tmp_path / "short"
    short.mkdir()
    interruption = speech_wav(short, "Stop please.")
    recorder = MonitorRecorder(speaker)
    app = make_app(protocol="webrtc")
    async with app.run_test(size=SIZE) as pilot:
        seen = await open_voice(pilot, "f7", lambda: app.status.facts.voice == "hands-free", recorder)
        await play(mic, long_speech)  # no key: the server hears it start and stop
        await wait_for(pilot, lambda: app.voice.current.state.value == "speaking", timeout=30)
        await wait_for(pilot, lambda: app.voice.current.buffer.played_ms >= 500, timeout=30)
        await play(mic, interruption)  # speaking over the answer cuts it
        await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) == 2 and idle(app) and app.voice.current.state.value == "idle", timeout=30)
        await recorder.stop()
        reasons = [m.reason for m in app.transcript.query(AssistantMessage)]
        users = [m.text for m in app.transcript.query(UserMessage)]
        truncated = app.voice.current.truncated_at_ms
        connection = app.session._loopback.state.connections[-1]
        assert app.status.facts.voice == "hands-free"
    assert reasons == ["interrupted", "complete"]
    assert all(text.endswith(" s of audio]") for text in users), users
    assert seen[:4] == ["listening", "thinking", "speaking", "listening"]
    assert connection.truncated_ms == [truncated] and truncated >= 500
    assert recorder.speech_seconds() >= truncated / 1000  # at least what was heard of the first answer reached the speaker's sink

"""Push-to-talk and barge-in: the pure state machine, then the voice session's
event order against a scripted link (no sockets, no sound card)."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import numpy as np

from rtchat.audio.capture import Capture
from rtchat.audio.pcm import to_pcm16
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.resample import resample
from rtchat.audio.sources import ArraySource
from rtchat.events import AudioChunk, Done, Metrics, Notice, Transcript
from rtchat.voice.links import ProtocolVoice
from rtchat.voice.ptt import Action, PushToTalk, VoiceState
from rtchat.voice.session import VoiceSession
from rtchat.wire.openai_realtime import RealtimeProtocol
from tests.support.wait import until


def test_the_key_toggles_between_talking_and_sending():
    ptt = PushToTalk()
    assert ptt.toggle() == [Action.CLEAR_INPUT, Action.OPEN_GATE] and ptt.state is VoiceState.LISTENING
    assert ptt.toggle() == [Action.CLOSE_GATE, Action.COMMIT] and ptt.state is VoiceState.THINKING
    ptt.audio_started()
    assert ptt.state is VoiceState.SPEAKING
    ptt.answer_done()
    assert ptt.state is VoiceState.IDLE


def test_pressing_during_an_answer_barges_in_first():
    for answering in (VoiceState.THINKING, VoiceState.SPEAKING):
        ptt = PushToTalk()
        ptt.state = answering
        assert ptt.toggle() == [Action.BARGE_IN, Action.CLEAR_INPUT, Action.OPEN_GATE]
        assert ptt.state is VoiceState.LISTENING


def test_interrupt_stops_an_answer_or_drops_what_is_being_said():
    ptt = PushToTalk()
    assert ptt.interrupt() == []
    ptt.state = VoiceState.SPEAKING
    assert ptt.interrupt() == [Action.BARGE_IN] and ptt.state is VoiceState.IDLE
    ptt.state = VoiceState.LISTENING
    assert ptt.interrupt() == [Action.CLOSE_GATE, Action.CLEAR_INPUT] and ptt.state is VoiceState.IDLE


def test_audio_started_only_moves_a_thinking_session():
    ptt = PushToTalk()
    ptt.audio_started()
    assert ptt.state is VoiceState.IDLE


class ScriptedLink(ProtocolVoice):
    """A link whose transport is a list: what the session says goes through the real
    Realtime protocol object into `sent`; the test plays the server with `serve`,
    whose frames the same protocol object decodes. No sockets."""

    webrtc = True
    dialect = "ga"
    input_rate = 48000
    output_rate = 48000
    connect_ms = 1.0

    def __init__(self) -> None:
        self.protocol = RealtimeProtocol(dialect="ga")
        self.sent: list[dict] = []
        self.pushed = 0
        self.on_event = self.on_audio = self.on_state = None

    def _sent(self) -> None:
        self.sent += [json.loads(frame) for frame in self.protocol.data_to_send()]

    def serve(self, payload: dict) -> None:
        self._received(json.dumps(payload))

    async def connect(self) -> None:
        self.on_state("connected")

    def push_audio(self, samples) -> None:
        self.pushed += len(samples)

    def drop_input(self) -> None:
        pass

    async def flush_input(self) -> float:
        return time.perf_counter()

    async def close(self) -> None:
        self.on_state("closed")

    def types(self) -> list[str]:
        return [event["type"] for event in self.sent]


def tone_frame(pts: int) -> tuple[np.ndarray, int, int]:
    t = (pts + np.arange(960)) / 48000
    return (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 48000, pts


class States(list):
    """The voice states the session announced, in order (its on_state); `reached` waits for one."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()

    def append(self, state: VoiceState) -> None:
        super().append(state)
        self._changed.set()

    async def reached(self, state: VoiceState, within: float = 3.0) -> None:
        async def seen() -> None:
            while state not in self:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(seen(), within)


async def spoken_session(states: list) -> tuple[VoiceSession, ScriptedLink, ArraySource]:
    link = ScriptedLink()
    source = ArraySource(np.full(48000 // 2, 0.1, dtype=np.float32), 48000)
    voice = VoiceSession(link, Capture(source), ClockSpeaker, jitter_ms=20, on_state=states.append)
    await voice.start(open_microphone=False)
    await voice.start_talking()
    voice.capture.start()
    await source.finished.wait()
    await voice.stop_talking()
    return voice, link, source


def server_answers(link: ScriptedLink, item_id: str = "item_answer") -> None:
    link.serve({"type": "response.created", "response": {"id": "resp_1"}})
    link.serve({"type": "response.output_item.added", "item": {"id": item_id, "type": "message"}})
    link.serve({"type": "output_audio_buffer.started"})
    link.serve({"type": "response.output_audio_transcript.delta", "delta": "hello "})


async def test_a_spoken_turn_sends_push_to_talk_events_in_order():
    states = States()
    voice, link, _ = await spoken_session(states)
    assert link.types() == ["session.update", "input_audio_buffer.clear", "input_audio_buffer.commit", "response.create"]
    assert link.sent[0]["session"]["audio"]["input"]["turn_detection"] is None
    assert link.pushed == 48000 // 2  # the file's audio went out on the track at 48 kHz
    assert states == [VoiceState.LISTENING, VoiceState.THINKING]
    server_answers(link)
    for index in range(10):
        link.on_audio(*tone_frame(index * 960))
    link.serve({"type": "response.done", "response": {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 2}}})
    await states.reached(VoiceState.SPEAKING)  # the answer is heard before the server says its buffer stopped
    link.serve({"type": "output_audio_buffer.stopped"})
    await asyncio.wait_for(voice.wait_answer(), 20)
    events = []
    while not voice._queue.empty():
        events.append(voice._queue.get_nowait())
    kinds = [type(event).__name__ for event in events]
    assert kinds.count("AudioChunk") == 10 and isinstance(events[-1], Done) and events[-1].reason == "complete"
    assert not any(isinstance(e, Metrics) for e in events)  # the exchange's SpokenTurn makes the figures, from its clock
    assert voice.turn.clock.first_audio_ms is not None and voice.turn.clock.speech_ended_at == voice.turn.clock.started
    assert any(isinstance(e, Transcript) and e.text == "hello " for e in events)
    assert states[-2:] == [VoiceState.SPEAKING, VoiceState.IDLE]
    assert voice.latency["first_audio_ms"] is not None
    await voice.close()


async def test_barge_in_cancels_clears_flushes_and_truncates_at_the_played_ms():
    voice, link, _ = await spoken_session(States())
    server_answers(link, "item_42")
    for index in range(50):  # one second of answer arrives at once
        link.on_audio(*tone_frame(index * 960))
    await until(lambda: voice.buffer.played_ms >= 300)  # the speaker plays in real time: 300 ms of it is heard
    played = voice.buffer.played_ms
    assert voice.state is VoiceState.SPEAKING
    link.sent.clear()
    await voice.toggle()  # the user presses the key mid-answer
    assert link.types() == ["response.cancel", "output_audio_buffer.clear", "conversation.item.truncate", "input_audio_buffer.clear"]
    truncate = link.sent[2]
    assert truncate["item_id"] == "item_42" and truncate["content_index"] == 0
    assert played <= truncate["audio_end_ms"] <= played + 40 < 1000  # what was played, not what was received (1000)
    assert voice.buffer.buffered_samples == 0  # local playback flushed
    assert voice.state is VoiceState.LISTENING
    events = []
    while not voice._queue.empty():
        events.append(voice._queue.get_nowait())
    assert isinstance(events[-1], Done) and events[-1].reason == "interrupted"
    await voice.close()


async def test_interrupt_after_response_done_skips_the_cancel():
    states = States()
    voice, link, _ = await spoken_session(states)
    server_answers(link)
    for index in range(50):
        link.on_audio(*tone_frame(index * 960))
    link.serve({"type": "response.done", "response": {"status": "completed"}})
    await states.reached(VoiceState.SPEAKING)  # interrupted while the answer is heard
    link.sent.clear()
    await voice.interrupt()
    assert link.types() == ["output_audio_buffer.clear", "conversation.item.truncate"]
    assert voice.state is VoiceState.IDLE
    await voice.close()


async def test_a_turn_too_short_to_send_is_dropped_with_a_notice():
    link = ScriptedLink()
    voice = VoiceSession(link, Capture(ArraySource(np.zeros(10, dtype=np.float32), 48000)), ClockSpeaker)
    await voice.start(open_microphone=False)
    await voice.start_talking()
    await voice.stop_talking()
    assert "input_audio_buffer.commit" not in link.types()
    assert voice.state is VoiceState.IDLE
    assert isinstance(voice._queue.get_nowait(), Notice)
    await voice.close()


async def test_answer_audio_at_another_rate_is_resampled_as_one_stream():
    """24 kHz answer audio into a 48 kHz player, in 20 ms pieces: the same samples as
    resampling the whole answer at once (no filter restart, so no click, at each join)."""
    link = ScriptedLink()
    link.webrtc = False  # a socket link: the answer's audio comes in the events, all in by response.done
    source = ArraySource(np.full(48000 // 2, 0.1, dtype=np.float32), 48000)
    voice = VoiceSession(link, Capture(source), ClockSpeaker, jitter_ms=20)
    await voice.start(open_microphone=False)
    await voice.start_talking()
    voice.capture.start()
    await source.finished.wait()
    await voice.stop_talking()
    server_answers(link)
    t = np.arange(24000 // 2) / 24000
    answer = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for start in range(0, len(answer), 480):
        pcm = to_pcm16(answer[start : start + 480])
        link.serve({"type": "response.output_audio.delta", "delta": base64.b64encode(pcm).decode()})
    link.serve({"type": "response.done", "response": {"status": "completed"}})
    await asyncio.wait_for(voice.wait_answer(), 5)
    await voice.close()
    played = []
    while not voice._queue.empty():
        event = voice._queue.get_nowait()
        if isinstance(event, AudioChunk):
            played.append(np.frombuffer(event.pcm, "<i2"))
    got = np.concatenate(played).astype(np.int32)
    expected = np.frombuffer(to_pcm16(resample(np.frombuffer(to_pcm16(answer), "<i2").astype(np.float32) / 32768.0, 24000, 48000)), "<i2").astype(np.int32)
    assert len(got) == len(expected)
    assert np.max(np.abs(got - expected)) <= 1


async def test_a_turn_of_silence_alone_is_not_sent():
    """Push-to-talk held over a silent microphone (a second of -100 dBFS): no "[0.0 s of audio]" turn
    is committed to the server, and the user is told why."""
    link = ScriptedLink()
    voice = VoiceSession(link, Capture(ArraySource(np.zeros(48000, dtype=np.float32), 48000)), ClockSpeaker)
    await voice.start(open_microphone=False)
    await voice.start_talking()
    voice.capture._on_block(np.zeros(48000, dtype=np.float32))  # the microphone's block, as its callback delivers it
    await voice.stop_talking()
    assert voice.capture.sent_seconds == 1.0 and voice.capture.speech_seconds == 0.0
    assert "input_audio_buffer.commit" not in link.types() and "response.create" not in link.types()
    assert voice.state is VoiceState.IDLE
    notice = voice._queue.get_nowait()
    assert isinstance(notice, Notice) and "nothing was heard" in notice.text
    await voice.close()

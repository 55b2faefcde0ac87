"""A spoken Realtime turn carries the latest shared frame: an `input_image` item created before
its `response.create` (push-to-talk) or as the server hears speech begin (hands-free), which the
loopback's vision model reports."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import ArraySource, wav_source
from rtchat.audio.wavfile import read_wav
from rtchat.config import NetworkSettings
from rtchat.events import Transcript
from rtchat.share import Frame
from rtchat.voice.links import GeminiLiveLink, RealtimeSocketLink
from rtchat.voice.session import VoiceSession
from tests.support.voice import collect_to_done, speech_wav, spoken_once, voice_target


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("speech"))


def green_frame() -> Frame:
    picture = io.BytesIO()
    Image.new("RGB", (96, 54), (0, 128, 0)).save(picture, "JPEG")
    return Frame(picture.getvalue(), 96, 54, 1, 0.0)


async def test_a_spoken_realtime_turn_carries_the_latest_frame(loopback, speech):
    frame = green_frame()
    source = wav_source(speech)
    link = RealtimeSocketLink(voice_target(loopback.url + "/v1", "vision"), NetworkSettings())
    given: list[str] = []
    link.frame_for_turn = lambda: given.append("frame") or frame.attachment().data_url()
    events = await spoken_once(VoiceSession(link, Capture(source), ClockSpeaker), source)
    said = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert said == "got 1 frame, last 96x54 JPEG" and given == ["frame"]
    [connection] = loopback.connections
    received = connection.received
    commit = received.index("input_audio_buffer.commit")
    assert received[commit - 1] == "conversation.item.create" and received[commit + 1] == "response.create", received
    assert connection.frames.last_data == frame.jpeg


async def test_a_hands_free_realtime_turn_carries_the_frame_from_the_start_of_speech(loopback, speech):
    samples, rate = read_wav(speech)
    source = ArraySource(np.concatenate([np.zeros(int(0.3 * rate), np.float32), samples, np.zeros(rate, np.float32)]), rate, realtime=True)
    frame = green_frame()
    link = RealtimeSocketLink(voice_target(loopback.url + "/v1", "vision"), NetworkSettings())
    given: list[str] = []
    link.frame_for_turn = lambda: given.append("frame") or frame.attachment().data_url()
    voice = VoiceSession(link, Capture(source), ClockSpeaker, hands_free=True)
    events: list = []
    collector = asyncio.create_task(collect_to_done(voice, events))
    await voice.start()
    try:
        await asyncio.wait_for(collector, 30)  # the deadline only stops a hang
    finally:
        await voice.close()
    said = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert said == "got 1 frame, last 96x54 JPEG" and given == ["frame"]
    [connection] = loopback.connections
    assert "conversation.item.create" in connection.received and "response.create" not in connection.received, "the server answered by itself"


async def test_a_live_voice_session_takes_frames_as_realtime_video_beside_the_speech(loopback, speech):
    source = wav_source(speech)
    link = GeminiLiveLink(voice_target(loopback.url, "vision", "fake-key", "gemini"), NetworkSettings())
    sent: list[bool] = []
    events = await spoken_once(VoiceSession(link, Capture(source), ClockSpeaker), source, before=lambda: sent.append(link.send_video(green_frame().jpeg)))
    assert sent == [True], "the session is open: the frame goes"
    said = "".join(e.text for e in events if isinstance(e, Transcript) and e.role == "assistant")
    assert said == "got 1 frame, last 96x54 JPEG"
    assert "audio" in link.sent_log and link.sent_log.index("video") < link.sent_log.index("activityEnd")

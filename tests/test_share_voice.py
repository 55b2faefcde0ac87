"""A spoken Realtime turn carries the latest shared frame: an `input_image` item created before
its `response.create` (push-to-talk), which the loopback's vision model reports."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import wav_source
from rtchat.config import NetworkSettings
from rtchat.events import Transcript
from rtchat.share import Frame
from rtchat.voice.links import RealtimeSocketLink
from rtchat.voice.session import VoiceSession
from tests.support.voice import speech_wav, spoken_once, voice_target


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("speech"))


async def test_a_spoken_realtime_turn_carries_the_latest_frame(loopback, speech):
    picture = io.BytesIO()
    Image.new("RGB", (96, 54), (0, 128, 0)).save(picture, "JPEG")
    frame = Frame(picture.getvalue(), 96, 54, 1, 0.0)
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

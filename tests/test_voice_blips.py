"""Hands-free never makes a turn of no speech: the loopback's detector ignores a burst shorter than
its minimum speech (a click, a cough, the answer's echo), as the real servers' detectors do."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from rtchat.audio.capture import Capture
from rtchat.audio.playback import ClockSpeaker
from rtchat.audio.sources import ArraySource
from rtchat.audio.wavfile import read_wav
from rtchat.config import NetworkSettings
from rtchat.events import Done, Transcript
from rtchat.loopback.vad import MIN_SPEECH_MS, EnergyVad
from rtchat.voice.links import RealtimeSocketLink
from rtchat.voice.session import VoiceSession
from tests.support.voice import speech_wav, voice_target

RATE = 24000


def tone(seconds: float, rate: int = RATE) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 180 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def pcm16(samples: np.ndarray) -> bytes:
    return (samples * 32767).astype("<i2").tobytes()


def test_a_burst_shorter_than_the_minimum_speech_has_no_edges():
    vad = EnergyVad(RATE, silence_ms=500)
    quiet = pcm16(np.zeros(RATE, np.float32))
    assert vad.feed(quiet[: RATE // 5 * 2] + pcm16(tone(0.04)) + quiet) == []  # 40 ms: a click
    edges = vad.feed(pcm16(tone(MIN_SPEECH_MS / 1000 + 0.2)) + quiet)
    assert [(e.started, e.ms) for e in edges] == [(True, 1240), (False, 1540)]  # speech is found where it began


async def test_hands_free_a_click_before_speaking_makes_no_turn(loopback, tmp_path):
    samples, rate = read_wav(speech_wav(tmp_path))
    click = tone(0.04, rate)
    silence = np.zeros(rate, np.float32)
    source = ArraySource(np.concatenate([silence[: rate // 5], click, silence, samples, silence]), rate, realtime=True)
    turns: list[float] = []
    link = RealtimeSocketLink(voice_target(loopback.url + "/v1"), NetworkSettings())
    voice = VoiceSession(link, Capture(source), ClockSpeaker, hands_free=True, on_turn=lambda: turns.append(voice.speech_seconds))
    events: list = []

    async def first_turn() -> None:
        async for event in voice.events():
            events.append(event)
            if isinstance(event, Done):
                return

    collector = asyncio.create_task(first_turn())
    await voice.start()
    await asyncio.wait_for(collector, 30)
    await voice.close()
    user = [e.text for e in events if isinstance(e, Transcript) and e.role == "user" and e.final]
    assert turns and turns[0] > 0.5, turns  # the first turn is the sentence, not the click
    assert user and user[-1] != "[0.0 s of audio]"

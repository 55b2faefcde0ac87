"""The loopback's Live echo plays the user's speech back at the rate it declares."""

from __future__ import annotations

import json
import math
from array import array

from websockets.asyncio.client import connect

from rtchat.events import AudioChunk, Done
from rtchat.loopback.audio_meter import resample, samples
from rtchat.wire import gemini_live


def sine(seconds: float, rate: int, hz: float = 300.0) -> bytes:
    return array("h", (int(8000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(seconds * rate)))).tobytes()


def test_resample_keeps_duration_and_pitch():
    out = samples(resample(sine(1.0, 16000), 16000, 24000))
    assert len(out) == 24000
    crossings = sum(1 for a, b in zip(out, out[1:]) if a < 0 <= b)
    assert abs(crossings - 300) <= 2, "a 300 Hz tone stays 300 Hz"


async def test_live_echo_answer_audio_lasts_as_long_as_the_speech(loopback):
    url = loopback.url.replace("http", "ws") + gemini_live.PATH
    decoder = gemini_live.LiveDecoder()
    async with connect(url) as socket:
        await socket.send(json.dumps(gemini_live.setup("echo", ["AUDIO"], manual_activity=True)))
        while not decoder.setup_complete:
            decoder.feed_text(await socket.recv())
        await socket.send(json.dumps(gemini_live.activity_start()))
        speech = sine(1.5, 16000)
        for start in range(0, len(speech), 3200):
            await socket.send(json.dumps(gemini_live.realtime_audio(speech[start : start + 3200])))
        await socket.send(json.dumps(gemini_live.activity_end()))
        audio_seconds = 0.0
        while True:
            events = decoder.feed_text(await socket.recv())
            audio_seconds += sum(len(e.pcm) / 2 / e.rate for e in events if isinstance(e, AudioChunk))
            if any(isinstance(e, Done) for e in events):
                break
    assert abs(audio_seconds - 1.5) < 0.1

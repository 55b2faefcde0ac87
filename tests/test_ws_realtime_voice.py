"""The loopback Realtime session hears audio: what the voice (WebRTC) work builds on."""

from __future__ import annotations

import base64
import json

import websockets

from rtchat.loopback.audio_meter import measure, tone
from rtchat.wire import openai_realtime as wire


def test_the_meter_spans_first_to_last_loud_frame():
    clip = bytes(24000 * 2) + tone(1.2, 24000, level_dbfs=-20) + bytes(24000)
    heard = measure(clip, 24000)
    assert heard.seconds == 1.2 and heard.level_dbfs == -23
    assert measure(bytes(4800), 24000).answer() == "heard 0.0 s of audio (level -99 dBFS)"


async def test_committed_audio_is_transcribed_and_answered_in_audio(loopback):
    url = loopback.url.replace("http://", "ws://") + "/v1/realtime?model=echo"
    speech = bytes(9600) + tone(0.5, 24000) + bytes(9600)
    async with websockets.connect(url) as socket:
        assert json.loads(await socket.recv())["type"] == "session.created"
        await socket.send(json.dumps(wire.session_update(["audio"])))
        await socket.send(json.dumps(wire.audio_append(speech)))
        await socket.send(json.dumps(wire.audio_commit()))
        await socket.send(json.dumps(wire.response_create()))
        kinds, transcript, user, audio = [], "", "", b""
        while True:
            event = json.loads(await socket.recv())
            kinds.append(event["type"])
            if event["type"] == "response.output_audio_transcript.delta":
                transcript += event["delta"]
            elif event["type"] == "response.output_audio.delta":
                audio += base64.b64decode(event["delta"])
            elif event["type"] == "conversation.item.input_audio_transcription.completed":
                user = event["transcript"]
            elif event["type"] == "response.done":
                break
    assert user == "[0.5 s of audio]"
    assert transcript == "heard 0.5 s of audio (level -15 dBFS)"
    assert audio == speech
    assert "input_audio_buffer.committed" in kinds


async def test_an_empty_commit_is_an_error_event(loopback):
    url = loopback.url.replace("http://", "ws://") + "/v1/realtime?model=echo"
    async with websockets.connect(url) as socket:
        await socket.recv()
        await socket.send(json.dumps(wire.audio_commit()))
        event = json.loads(await socket.recv())
    assert event["type"] == "error" and event["error"]["code"] == "input_audio_buffer_commit_empty"

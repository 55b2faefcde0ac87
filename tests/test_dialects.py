"""Realtime beta and GA from OpenAI's published examples, and a server that speaks only beta."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from rtchat.catalog import provider_from_config
from rtchat.conversation import Conversation
from rtchat.events import AudioChunk, Done, Error, Notice, TextDelta, Transcript, Usage
from rtchat.wire import openai_realtime as rt
from tests.support.turns import done_of, errors_of, text_of
from tests.support.ws import ask, make_session

WS = Path(__file__).parent / "fixtures" / "ws"


def spec_events(name: str) -> list[dict]:
    return [json.loads(line) for line in (WS / name).read_text().splitlines() if line.strip()]


def decoded(name: str) -> tuple[rt.RealtimeDecoder, list]:
    decoder = rt.RealtimeDecoder()
    events = [event for payload in spec_events(name) for event in rt.decode_frame(json.dumps(payload), decoder.feed)]
    return decoder, events


def shape(events: list) -> list[str]:
    return [type(event).__name__ for event in events]


def test_the_published_beta_examples_decode_like_the_ga_ones():
    beta, beta_events = decoded("openai_realtime_beta_spec.jsonl")
    ga, ga_events = decoded("openai_realtime_ga_spec.jsonl")
    assert beta.dialect == "beta" and ga.dialect == "ga"
    for events in (beta_events, ga_events):
        assert [e.text for e in events if isinstance(e, TextDelta)] == ["Sure, I can h"]
        assert [e.text for e in events if isinstance(e, Transcript) and e.role == "assistant"] == ["Hello, how can I a"]
        assert any(isinstance(e, Usage) for e in events) and any(isinstance(e, Done) and e.reason == "complete" for e in events)
        assert [e.message for e in events if isinstance(e, Error)] == ["the realtime server reported invalid_event: The 'type' field is missing."]
        # the spec's audio delta is the placeholder "Base64EncodedAudioDelta": a warning, never a crash
        assert any(isinstance(e, Notice) and e.level == "warning" for e in events) and not any(isinstance(e, AudioChunk) for e in events)
    assert [e.text for e in beta_events if isinstance(e, Transcript) and e.role == "user"] == ["Hello, how are you?"]


def test_real_audio_deltas_decode_under_both_names():
    for name in ("response.audio.delta", "response.output_audio.delta"):
        (chunk,) = rt.RealtimeDecoder().feed({"type": name, "delta": "AAABAA=="})
        assert isinstance(chunk, AudioChunk) and chunk.pcm == b"\x00\x00\x01\x00"


def test_session_update_speaks_each_dialect_in_the_published_shape():
    beta_example = json.loads((WS / "openai_realtime_beta_session_update_spec.json").read_text())["session"]
    ga_example = json.loads((WS / "openai_realtime_ga_session_update_spec.json").read_text())["session"]
    beta = rt.session_update(["audio"], "be brief", "sage", transcribe=True, dialect="beta")["session"]
    assert set(beta) <= set(beta_example) | {"turn_detection"}
    assert beta["modalities"] == ["audio", "text"] and beta["input_audio_format"] == "pcm16" and beta["output_audio_format"] == "pcm16"
    assert beta["voice"] == "sage" and beta["turn_detection"] is None and beta["input_audio_transcription"]["model"]
    ga = rt.session_update(["text"], "be brief", dialect="ga")["session"]
    assert ga["type"] == ga_example["type"] == "realtime" and set(ga) <= set(ga_example) | {"output_modalities", "audio"}
    assert "type" not in rt.instructions_update("x", "beta")["session"]


def test_the_protocol_answers_session_created_in_the_dialect_it_announced():
    for fixture, key in (("openai_realtime_beta_spec.jsonl", "modalities"), ("openai_realtime_ga_spec.jsonl", "output_modalities")):
        protocol = rt.RealtimeProtocol(["text"])
        protocol.begin()
        protocol.receive_data(json.dumps(spec_events(fixture)[0]))
        (update,) = [json.loads(frame) for frame in protocol.data_to_send()]
        assert update["session"][key] == ["text"]
    forced = rt.RealtimeProtocol(["text"], "beta")
    forced.receive_data(json.dumps(spec_events("openai_realtime_ga_spec.jsonl")[0]))
    assert "modalities" in json.loads(forced.data_to_send()[0])["session"]


def beta_provider(loopback, **extra):
    return provider_from_config("betaserver", {"base_url": loopback.url + "/beta/v1", "needs_key": False, "models": ["echo"], **extra}, None)


async def test_a_server_that_speaks_only_beta_answers_text_over_websocket(isolated, loopback):
    session = make_session()
    session.config.catalog.providers["betaserver"] = replace(beta_provider(loopback), ws_wire="openai_realtime")
    try:
        target = await session.resolve("betaserver/echo")
        conversation = Conversation(system="be brief")
        first, _ = await ask(session, target, conversation, "first")
        second, _ = await ask(session, target, conversation, "second")
    finally:
        await session.aclose()
    assert errors_of(first) == [] and errors_of(second) == []
    assert done_of(first) == done_of(second) == "complete"
    assert "first" in text_of(first) and "(turn 2)" in text_of(second)
    (connection,) = loopback.connections
    assert connection.dialect == "beta" and connection.path == "/beta/v1/realtime" and connection.responses == 2


async def test_the_beta_server_refuses_ga_fields_like_a_real_one(isolated, loopback):
    session = make_session()
    session.config.catalog.providers["betaserver"] = replace(beta_provider(loopback, realtime_dialect="ga"), ws_wire="openai_realtime")
    try:
        target = await session.resolve("betaserver/echo")
        events, _ = await ask(session, target, Conversation(system="be brief"), "hi")
    finally:
        await session.aclose()
    assert any("unknown_parameter" in error.message for error in errors_of(events))


async def test_cancel_on_the_beta_server_keeps_the_partial_answer(isolated, loopback):
    session = make_session()
    session.config.catalog.providers["betaserver"] = replace(beta_provider(loopback), ws_wire="openai_realtime")
    try:
        target = await session.resolve("betaserver/echo@rate=40")
        conversation = Conversation()
        events, _ = await ask(session, target, conversation, "write", cancel_after=3)
        again, _ = await ask(session, target, conversation, "again")
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted" and text_of(events)
    assert loopback.records[-2].outcome == "cancelled" and done_of(again) == "complete"
    assert len(loopback.connections) == 1

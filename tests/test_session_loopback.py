"""rtchat's client over real sockets against the loopback server, for every wire format and fault."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock
from rtchat.events import Done, Error, Metrics, Notice, TextDelta, ThinkingDelta, ThinkingSignature
from rtchat.session import Session
from tests.support.dns import unresolvable
from tests.support.streams import summary
from tests.support.turns import run_turn
from tests.support.wait import until


def make_session(**network) -> Session:
    config = load_config()
    config.network = replace(NetworkSettings(), **network)
    return Session(config)


async def run(session: Session, ref: str, prompt: str, base_url: str | None = None, effort: str | None = None, conversation: Conversation | None = None):
    target = await session.resolve(ref, base_url)
    return await run_turn(session, target, conversation or Conversation(), prompt, effort=effort, keep=False)


WIRE_TARGETS = [
    ("loopback/echo", None, None),
    ("anthropic/echo", "", "ANTHROPIC_API_KEY"),
    ("gemini/echo", "", "GEMINI_API_KEY"),
    ("openai/echo", "/v1", "OPENAI_API_KEY"),
]


@pytest.mark.parametrize("ref,suffix,key_var", WIRE_TARGETS, ids=["openai_chat", "anthropic", "gemini", "openai_chat_via_openai"])
async def test_echo_over_every_wire(isolated, loopback, monkeypatch, ref, suffix, key_var):
    if key_var:
        monkeypatch.setenv(key_var, "test-key-123")
    session = make_session()
    try:
        events, turn = await run(session, ref, "The quick brown fox", None if suffix is None else loopback.url + suffix, effort="low")
    finally:
        await session.aclose()
    got = summary(events)
    assert "The quick brown fox" in got["text"]
    assert got["thinking"], "echo thinks before answering"
    assert got["done"] == "complete" and not got["error"]
    assert got["usage"]["output_tokens"] > 0
    assert isinstance(events[-1], Done) and isinstance(events[-2], Metrics)
    assert events[-2].ttft_ms is not None and events[-2].ttft_ms > 0


async def test_responses_api_over_sse(isolated, loopback, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-123")
    session = make_session()
    session.config.catalog.providers["openai"] = replace(session.config.catalog.providers["openai"], wire="openai_responses")
    try:
        events, _ = await run(session, "openai/echo", "responses please", loopback.url + "/v1", effort="medium")
    finally:
        await session.aclose()
    got = summary(events)
    assert "responses please" in got["text"] and got["thinking"] and got["done"] == "complete"
    assert loopback.records[-1].wire == "openai_responses"


async def test_anthropic_signed_thinking_goes_back_next_turn(isolated, loopback, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-123")
    session = make_session()
    conversation = Conversation()
    try:
        events, _ = await run(session, "anthropic/echo", "first", loopback.url, "low", conversation)
        signature = next(e.signature for e in events if isinstance(e, ThinkingSignature))
        thinking = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        conversation.messages.append(ChatMessage("assistant", text, [ThinkingBlock(thinking, signature, provider="anthropic")]))
        events, _ = await run(session, "anthropic/echo", "second", loopback.url, "low", conversation)
        assert summary(events)["done"] == "complete" and "(turn 2)" in summary(events)["text"]
        sent = loopback.records[-1].request_json["messages"][1]["content"][0]
        assert sent == {"type": "thinking", "thinking": thinking, "signature": signature}
        # A tampered block is rejected by the server, as Anthropic does: the error says so.
        conversation.messages[1].thinking[0].text += " (edited)"
        events, _ = await run(session, "anthropic/echo", "third", loopback.url, "low", conversation)
        errors = [e for e in events if isinstance(e, Error)]
        assert errors and errors[0].kind == "bad_request" and "signature" in errors[0].message
    finally:
        await session.aclose()


async def test_second_turn_reuses_the_connection(isolated, loopback):
    session = make_session()
    try:
        first, _ = await run(session, "loopback/echo", "one", loopback.url + "/v1")
        second, _ = await run(session, "loopback/echo", "two", loopback.url + "/v1")
    finally:
        await session.aclose()
    assert first[-2].connect_ms > 0 and second[-2].connect_ms == 0.0


async def test_429_once_is_retried_with_a_notice(isolated, loopback):
    session = make_session()
    try:
        events, turn = await run(session, "loopback/fault-429-once", "retry me", loopback.url + "/v1")
    finally:
        await session.aclose()
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert any("429" in n and "retrying in 1.0 s" in n for n in notices)
    assert "retry me" in summary(events)["text"] and events[-1] == Done("complete")
    assert turn.clock.attempts == 2


@pytest.mark.parametrize(
    "model,kind,words",
    [
        ("fault-401", "auth", "rtchat keys set loopback"),
        ("fault-403", "auth", "wants a key (403), and rtchat sent none"),  # the loopback takes no key: the server's demand, not a bad key
        ("no-such-model", "not_found", "rtchat models"),
        ("fault-500", "server", "server error (500) after 2 tries"),
        ("fault-429", "rate_limit", "429"),
    ],
)
async def test_status_errors_are_worded_for_people(isolated, loopback, model, kind, words):
    session = make_session(retries=2)
    try:
        events, _ = await run(session, f"loopback/{model}", "hi", loopback.url + "/v1")
    finally:
        await session.aclose()
    errors = [e for e in events if isinstance(e, Error)]
    assert len(errors) == 1 and errors[0].kind == kind and words in errors[0].message
    assert events[-1] == Done("error")


async def test_midstream_error_keeps_partial_and_does_not_retry(isolated, loopback):
    session = make_session()
    try:
        events, turn = await run(session, "loopback/fault-error-midstream", "hi", loopback.url + "/v1")
    finally:
        await session.aclose()
    got = summary(events)
    assert got["text"] and got["error"] and got["done"] == "error" and turn.clock.attempts == 1


async def test_malformed_frame_skipped_answer_complete(isolated, loopback):
    session = make_session()
    try:
        events, _ = await run(session, "loopback/fault-malformed", "still whole", loopback.url + "/v1")
    finally:
        await session.aclose()
    assert any(isinstance(e, Notice) and e.level == "warning" for e in events)
    assert "still whole" in summary(events)["text"] and events[-1] == Done("complete")


@pytest.mark.parametrize("model,partial", [("fault-stall", True), ("fault-stall-first", False)])
async def test_stall_gives_a_timeout_error(isolated, loopback, model, partial):
    session = make_session(stall_timeout=0.5)
    try:
        events, _ = await run(session, f"loopback/{model}", "hi", loopback.url + "/v1")
    finally:
        await session.aclose()
    errors = [e for e in events if isinstance(e, Error)]
    assert errors[0].kind == "timeout" and "stall" in errors[0].message
    assert bool(summary(events)["text"]) is partial


async def test_keepalive_comments_are_not_progress(isolated, loopback):
    """Only a decoded event is a sign of progress: 1 s of keep-alive comments outlasts a 0.5 s stall timeout."""
    session = make_session(stall_timeout=0.5, retries=1)
    try:
        events, _ = await run(session, "loopback/fault-keepalive", "patience", loopback.url + "/v1")
    finally:
        await session.aclose()
    errors = [e for e in events if isinstance(e, Error)]
    assert events[-1] == Done("error") and errors[0].kind == "timeout" and "stall" in errors[0].message


async def test_keepalive_comments_within_the_stall_timeout_are_fine(isolated, loopback):
    session = make_session(stall_timeout=10.0)  # 1 s of keep-alives, well inside it even on a loaded machine
    try:
        events, _ = await run(session, "loopback/fault-keepalive", "patience", loopback.url + "/v1")
    finally:
        await session.aclose()
    assert events[-1] == Done("complete") and "patience" in summary(events)["text"]


async def test_drop_midstream_keeps_partial(isolated, loopback):
    session = make_session()
    try:
        events, _ = await run(session, "loopback/fault-drop", "hi", loopback.url + "/v1")
    finally:
        await session.aclose()
    errors = [e for e in events if isinstance(e, Error)]
    assert errors and errors[0].kind == "connection" and "partial answer is kept" in errors[0].message
    assert summary(events)["text"] and events[-1] == Done("error")


async def test_cancel_stops_the_stream_and_the_server_sees_it(isolated, loopback):
    session = make_session()
    target = await session.resolve("loopback/lorem", loopback.url + "/v1")
    conversation = Conversation()
    conversation.add_user("go")
    turn = session.turn(target, conversation)
    events = []
    try:
        async for event in turn.events():
            events.append(event)
            if isinstance(event, TextDelta) and len(events) > 5:
                turn.cancel()
    finally:
        await session.aclose()
    assert events[-1] == Done("interrupted") and summary(events)["text"]
    await until(lambda: loopback.records[-1].outcome == "disconnected")  # the server sees the hang-up a moment later


async def test_connection_refused_is_retried_then_explained(isolated):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = make_session(retries=2)
    try:
        events, turn = await run(session, "loopback/echo", "hi", f"http://127.0.0.1:{port}/v1")
    finally:
        await session.aclose()
    errors = [e for e in events if isinstance(e, Error)]
    assert errors[0].kind == "connection" and "could not connect" in errors[0].message and turn.clock.attempts == 2


async def test_missing_key_and_plain_http_are_refused_before_sending(isolated, monkeypatch):
    session = make_session()
    try:
        events, _ = await run(session, "openai/gpt-5", "hi")
        assert "rtchat keys set openai" in [e for e in events if isinstance(e, Error)][0].message
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-plain-http")
        lookups = unresolvable(monkeypatch, "example.invalid")  # were it looked up, no real resolver is asked
        events, _ = await run(session, "openai/gpt-5", "hi", "http://example.invalid/v1")
        [error] = [e for e in events if isinstance(e, Error)]
        assert error.kind == "insecure" and "sk-test" not in error.message
        assert lookups == [], "refused before any lookup"
    finally:
        await session.aclose()


async def test_effort_off_asks_the_server_not_to_think(isolated, loopback):
    session = make_session()
    try:
        events, _ = await run(session, "loopback/echo", "quiet", loopback.url + "/v1", effort="off")
    finally:
        await session.aclose()
    assert loopback.records[-1].request_json["reasoning_effort"] == "none"
    assert summary(events)["thinking"] == ""


async def test_a_model_without_sse_is_told_so_before_anything_is_sent(isolated, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-no-sse")
    session = make_session()
    try:
        events, _ = await run(session, "openai/gpt-realtime", "hi", "http://127.0.0.1:9/v1")
    finally:
        await session.aclose()
    [error] = [e for e in events if isinstance(e, Error)]
    assert "offers no SSE API" in error.message and "--protocol websocket" in error.message
    assert events[-1] == Done("error")


async def test_after_cancel_no_more_text_reaches_the_user_over_sse(isolated, loopback):
    session = make_session()
    target = await session.resolve("loopback/lorem@rate=5000", loopback.url + "/v1")
    conversation = Conversation()
    conversation.add_user("go")
    turn = session.turn(target, conversation)
    after_cancel = []
    try:
        async for event in turn.events():
            if turn.cancel_requested_at is not None:
                after_cancel.append(event)
            elif isinstance(event, TextDelta):
                # the server has sent well past what the user has seen before the cancel
                await until(lambda: loopback.records[-1].tokens_sent >= 50)
                turn.cancel()
    finally:
        await session.aclose()
    assert [e.type for e in after_cancel if e.type in ("text", "thinking")] == []
    assert after_cancel[-1] == Done("interrupted")

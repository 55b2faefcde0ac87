"""Fault matrix rows for SSE not covered in test_session_loopback.py (see docs/faults.md)."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import replace

import pytest
from aiohttp import web

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import Conversation
from rtchat.events import Done, Error, Notice, TextDelta
from rtchat.loopback import start_loopback
from rtchat.session import Session
from tests.support.dns import unresolvable
from tests.support.turns import run_turn


@pytest.fixture
async def session_factory(monkeypatch, tmp_path):
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fault-matrix")
    sessions = []

    def make(**network):
        config = load_config()
        config.network = replace(NetworkSettings(), **network)
        session = Session(config)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.aclose()


async def ask(session, ref, base_url, prompt="hi", conversation=None):
    conversation = conversation or Conversation()
    target = await session.resolve(ref, base_url)
    events, _ = await run_turn(session, target, conversation, prompt, keep=False)
    return events, conversation


async def test_dns_failure_is_explained(session_factory, monkeypatch):
    lookups = unresolvable(monkeypatch, "no-such-host.invalid")  # the resolver fails the name; no real lookup
    session = session_factory(retries=1)
    events, conversation = await ask(session, "openai/gpt-5", "https://no-such-host.invalid/v1")
    await session.aclose()
    error = next(e for e in events if isinstance(e, Error))
    assert error.kind == "connection" and "no-such-host.invalid" in error.message and "check the network" in error.message
    assert conversation.messages[-1].text == "hi", "the prompt is kept"
    assert "no-such-host.invalid" in lookups


async def test_tls_failure_is_a_clear_error_never_bypassed(session_factory, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    seen: list[str] = []

    async def handler(request):
        seen.append(request.path)
        return web.Response(text="should never be reached")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    session = session_factory(retries=1)
    try:
        events, _ = await ask(session, "openai/gpt-5", f"https://127.0.0.1:{port}/v1")
    finally:
        await session.aclose()
        await runner.cleanup()
    error = next(e for e in events if isinstance(e, Error))
    assert error.kind == "tls" and "always verifies TLS" in error.message
    assert seen == [], "no request (and so no key) got through an unverified connection"


async def test_529_overloaded_is_retried_then_explained(session_factory, loopback):
    session = session_factory(retries=2)
    events, _ = await ask(session, "loopback/fault-529", loopback.url + "/v1")
    await session.aclose()
    assert any(isinstance(e, Notice) and "529" in e.text for e in events)
    error = next(e for e in events if isinstance(e, Error))
    assert error.kind == "overloaded" and "try again shortly" in error.message and events[-1] == Done("error")


async def test_500_once_recovers_on_retry(session_factory, loopback):
    session = session_factory()
    events, _ = await ask(session, "loopback/fault-500-once", loopback.url + "/v1", "second time lucky")
    await session.aclose()
    assert events[-1] == Done("complete") and "second time lucky" in "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_server_restart_mid_session_next_turn_reconnects(session_factory):
    server = await start_loopback()
    port = server.port
    session = session_factory()
    conversation = Conversation()
    try:
        first, conversation = await ask(session, "loopback/echo", server.url + "/v1", "before restart", conversation)
        assert first[-1] == Done("complete")
        await server.close()
        server = await start_loopback(port=port)
        conversation.messages.append(type(conversation.messages[0])("assistant", "ok"))
        second, conversation = await ask(session, "loopback/echo", server.url + "/v1", "after restart", conversation)
    finally:
        await session.aclose()
        await server.close()
    assert second[-1] == Done("complete") and "after restart" in "".join(e.text for e in second if isinstance(e, TextDelta))
    assert [m.text for m in conversation.messages if m.role == "user"] == ["before restart", "after restart"]

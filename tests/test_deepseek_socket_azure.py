"""The article's DeepSeek V4 socket and Azure OpenAI, against the loopback over real sockets."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from rtchat.catalog import provider_from_config
from rtchat.conversation import Conversation
from rtchat.events import Done, Error, Notice, TextDelta
from rtchat.loopback.records import fingerprint
from rtchat.wire.deepseek_socket import DeepSeekSocketProtocol, chat_message
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.turns import done_of, errors_of, run_turn, text_of
from tests.support.ws import ask, make_session


def test_the_protocol_speaks_the_articles_frames_exactly():
    conversation = Conversation(system="be brief")
    conversation.add_user("hi")
    assert chat_message("deepseek-v4-flash", conversation) == {
        "type": "chat", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}], "model": "deepseek-v4-flash", "stream": True,
    }
    protocol = DeepSeekSocketProtocol("deepseek-v4-flash")
    protocol.send_turn(conversation)
    for frame in ('{"type": "token", "content": "Hel"}', '{"type":"token","content":"lo"}', '{"type": "ping"}', "{oops", '{"type": "done"}'):
        protocol.receive_data(frame)
    events = protocol.events_received()
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    assert sum(isinstance(e, Notice) for e in events) == 2 and isinstance(events[-1], Done) and events[-1].reason == "complete"
    protocol.receive_data('{"type": "done"}')  # a second end with no answer open: said, never an end
    (stray,) = protocol.events_received()
    assert isinstance(stray, Notice) and "no answer open" in stray.text
    protocol.send_turn(conversation)
    protocol.receive_data('{"type": "error", "message": "quota exceeded"}')
    error, done = protocol.events_received()
    assert isinstance(error, Error) and "quota exceeded" in error.message and done.reason == "error"


async def run_ask(*args: str, env: dict) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(*rtchat_cmd("ask", *args), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_rtchat_ask_over_the_articles_deepseek_socket(tmp_path, loopback):
    env = isolated_env(tmp_path, DEEPSEEK_API_KEY="sk-test-deepseek")
    code, out, err = await run_ask("--protocol", "websocket", "-m", "deepseek/deepseek-v4-flash", "--base-url", loopback.url, "hello socket", env=env)
    assert code == 0, err
    assert "hello socket" in out and "Echo" in out
    (connection,) = loopback.connections
    assert connection.path == "/v4/chat" and connection.auth == {"authorization": f"Bearer {fingerprint('sk-test-deepseek')}"}
    record = loopback.records[-1]
    assert record.request_json["type"] == "chat" and record.request_json["model"] == "deepseek-v4-flash" and record.request_json["stream"] is True
    assert record.request_json["messages"][-1] == {"role": "user", "content": "hello socket"}


LONG = "one two three four five six seven eight nine ten eleven twelve"


async def test_rtchat_ask_reports_an_error_frame_and_a_drop(tmp_path, loopback):
    env = isolated_env(tmp_path, DEEPSEEK_API_KEY="sk-test-deepseek")
    code, out, err = await run_ask("--protocol", "websocket", "-m", "deepseek/fault-error-midstream", "--base-url", loopback.url, LONG, env=env)
    assert code != 0 and "failed in the middle of the stream" in err
    code, out, err = await run_ask("--protocol", "websocket", "-m", "deepseek/fault-close-midreply", "--base-url", loopback.url, LONG, env=env)
    assert code != 0 and "1011" in err and out  # the partial answer is kept


async def test_rtchat_ask_reports_a_refused_upgrade(tmp_path, loopback):
    code, out, err = await run_ask("--protocol", "websocket", "-m", "gw/echo", "--base-url", loopback.url, "hi", env=isolated_env(tmp_path))
    assert code != 0  # gw is unknown without config: refused before any socket
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text(f'[providers.gw]\nbase_url = "{loopback.url}"\nneeds_key = false\nchat_socket = true\nmodels = ["echo"]\n')
    code, out, err = await run_ask("--protocol", "websocket", "-m", "gw/echo", "hi", env=isolated_env(tmp_path))
    assert code != 0 and "401" in err and out == ""



async def test_interrupt_closes_the_socket_and_the_next_turn_reconnects(isolated, loopback, monkeypatch):
    monkeypatch.setenv("GW_API_KEY", "gw-key")
    session = make_session()
    session.config.catalog.providers["gw"] = replace(provider_from_config("gw", {"base_url": loopback.url, "needs_key": False, "chat_socket": True, "models": ["lorem", "echo"]}, None))
    try:
        conversation = Conversation()
        events, _ = await ask(session, await session.resolve("gw/lorem@rate=200"), conversation, "write", cancel_after=3)
        again, _ = await ask(session, await session.resolve("gw/echo"), conversation, "again")
    finally:
        await session.aclose()
    assert done_of(events) == "interrupted" and text_of(events)
    assert done_of(again) == "complete" and "(turn 2)" in text_of(again), errors_of(again)
    assert len(loopback.connections) == 2 and loopback.connections[0].closed is not None  # no cancel message: closed, then a new socket
    assert loopback.records[-1].request_json["messages"][-2]["role"] == "assistant"  # the whole conversation went again


def azure(loopback):
    return provider_from_config("az", {"kind": "azure", "base_url": loopback.url, "api_version": "2025-04-01-preview", "models": ["echo"], "key_env": "AZ_TEST_KEY"}, None)


async def test_azure_chat_completions_sends_api_key_and_api_version_to_the_deployment(isolated, loopback, monkeypatch):
    monkeypatch.setenv("AZ_TEST_KEY", "az-secret")
    session = make_session()
    session.config.catalog.providers["az"] = azure(loopback)
    try:
        target = await session.resolve("az/echo")
        events, _ = await run_turn(session, target, Conversation(), "hello azure", protocol="sse")
    finally:
        await session.aclose()
    assert errors_of(events) == [] and "hello azure" in text_of(events)
    record = loopback.records[-1]
    assert record.path == "/openai/deployments/echo/chat/completions" and record.query == {"api-version": "2025-04-01-preview"}
    assert record.auth == {"api-key": fingerprint("az-secret")}  # no Authorization header


async def test_azure_realtime_speaks_beta_over_the_deployment_socket(isolated, loopback, monkeypatch):
    monkeypatch.setenv("AZ_TEST_KEY", "az-secret")
    session = make_session()
    session.config.catalog.providers["az"] = azure(loopback)
    try:
        target = await session.resolve("az/echo")
        events, _ = await ask(session, target, Conversation(system="be brief"), "hello realtime")
    finally:
        await session.aclose()
    assert errors_of(events) == [] and "hello realtime" in text_of(events) and done_of(events) == "complete"
    (connection,) = loopback.connections
    assert connection.path == "/openai/realtime" and connection.dialect == "beta"
    assert connection.query == {"api-version": "2025-04-01-preview", "deployment": "echo"} and connection.auth == {"api-key": fingerprint("az-secret")}

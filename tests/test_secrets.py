"""A canary key through every path must never show up anywhere but its provider's request."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.events import Error
from rtchat.secrets import KeyLookup
from rtchat.session import Session
from tests.support.env import isolated_env, rtchat_cmd, run_rtchat

CANARY = "sk-canary-2b7e151628aed2a6abf7158809cf4f3c"


def scan_tree(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]


def test_canary_never_leaks_through_cli_logs_db_or_config(tmp_path):
    ring = tmp_path / "ring.json"
    keyring_env = {"PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.TestKeyring", "RTCHAT_TEST_KEYRING": str(ring)}
    outputs = [run_rtchat(tmp_path, "keys", "set", "openai", input=CANARY, **keyring_env)]
    # keyring key, rejected by the server, with the debug wire log on
    outputs.append(run_rtchat(tmp_path, "--debug", "ask", "-m", "openai/fault-401", "--base-url", "http://127.0.0.1:9/v1", "hi", **keyring_env))
    # env key, a good answer, stored in history, exported
    outputs.append(run_rtchat(tmp_path, "ask", "--debug", "-m", "loopback/echo@0", "hello", OPENAI_API_KEY=CANARY))
    outputs.append(run_rtchat(tmp_path, "ask", "--jsonl", "-m", "loopback/fault-401", "hello", OPENAI_API_KEY=CANARY))
    outputs.append(run_rtchat(tmp_path, "export", "last", "--format", "json"))
    outputs.append(run_rtchat(tmp_path, "history", "--json"))
    outputs.append(run_rtchat(tmp_path, "keys", "list", **keyring_env))
    outputs.append(run_rtchat(tmp_path, "models", "--provider", "loopback", **keyring_env))
    assert CANARY not in outputs[2].stdout + outputs[2].stderr
    for result in outputs:
        assert CANARY not in result.stdout + result.stderr, result.args
    logs = list((tmp_path / "state" / "logs").glob("*.log"))
    assert len(logs) == 2 and any("Authorization': '[redacted]'" in log.read_text() for log in logs)
    leaked = [p for p in scan_tree(tmp_path) if p != ring]
    assert leaked == []


class Recorder:
    """Two local servers: one answers with a redirect, the other records who came."""

    def __init__(self) -> None:
        self.elsewhere_requests: list[dict] = []

    async def start(self):
        async def elsewhere(request: web.Request):
            self.elsewhere_requests.append(dict(request.headers))
            return web.Response(text="gotcha")

        async def redirect(request: web.Request):
            raise web.HTTPTemporaryRedirect(self.elsewhere_url + "/v1/chat/completions")

        self.runners = []
        for handler in (elsewhere, redirect):
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handler)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.runners.append(runner)
            port = runner.addresses[0][1]
            if handler is elsewhere:
                self.elsewhere_url = f"http://127.0.0.1:{port}"
            else:
                self.redirect_url = f"http://127.0.0.1:{port}"

    async def close(self):
        for runner in self.runners:
            await runner.cleanup()


async def test_redirect_is_not_followed_and_the_key_stays_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    servers = Recorder()
    await servers.start()
    session = Session(load_config())
    try:
        target = await session.resolve("openai/gpt-5", servers.redirect_url + "/v1")
        conversation = Conversation()
        conversation.add_user("hi")
        events = [e async for e in session.turn(target, conversation).events()]
    finally:
        await session.aclose()
        await servers.close()
    error = next(e for e in events if isinstance(e, Error))
    assert error.kind == "redirect" and "does not follow redirects" in error.message
    assert servers.elsewhere_requests == []
    assert CANARY not in json.dumps([str(e) for e in events])


async def test_internal_failure_message_is_redacted(tmp_path, monkeypatch, loopback):
    """Even an unexpected exception that quotes the key is shown without it."""
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    from rtchat.turns import sse as sse_turn  # the fake is at a true edge: the HTTP stream itself blows up

    def explode(*args, **kwargs):
        raise RuntimeError(f"boom with {CANARY} inside")

    monkeypatch.setattr(sse_turn, "stream_events", explode)
    session = Session(load_config())
    try:
        target = await session.resolve("openai/echo", loopback.url + "/v1")
        conversation = Conversation()
        conversation.add_user("hi")
        events = [e async for e in session.turn(target, conversation).events()]
    finally:
        await session.aclose()
    error = next(e for e in events if isinstance(e, Error))
    assert error.kind == "internal" and "[redacted]" in error.message and CANARY not in error.message


def test_key_lookup_repr_hides_the_value():
    assert CANARY not in repr(KeyLookup(CANARY, "env:OPENAI_API_KEY"))


async def test_the_debug_log_holds_no_key_a_server_echoes_url_encoded_or_u_escaped(tmp_path):
    """The wire log uses the one redactor: a key echoed in a frame as `%2D` or `\\u0073` forms
    (in a field rtchat does not show, so only the log could keep it) is `[redacted]` there."""
    import asyncio
    from urllib.parse import quote

    from tests.support.peers import http_peer, sse_head

    def u_escaped(text: str, upper: bool) -> str:
        return "".join((f"\\u{ord(c):04X}" if upper else f"\\u{ord(c):04x}") for c in text)

    async def echo(request):
        key = request.headers["Authorization"].removeprefix("Bearer ")
        response = await sse_head(request)
        chunk = '{"id":"%s","echo":"%s","mixed":"%s","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}'
        mixed = key[:6] + u_escaped(key[6:12], upper=False) + quote(key[12:], safe="")
        await response.write(f"data: {chunk % (quote(key, safe=''), u_escaped(key, upper=True), mixed)}\n\ndata: [DONE]\n\n".encode())
        return response

    async with http_peer(echo) as peer:
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("--debug", "ask", "-m", "openai/gpt-x", "--base-url", peer.url + "/v1", "hi"),
            env=isolated_env(tmp_path, OPENAI_API_KEY=CANARY), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0 and out.decode().strip() == "ok", err.decode()
    [log] = (tmp_path / "state" / "logs").glob("*.log")
    text = log.read_text()
    assert '"echo":"[redacted]"' in text and '"mixed":"[redacted]"' in text, "the frame is logged, minus the key"
    for form in (CANARY, quote(CANARY, safe=""), u_escaped(CANARY, True), u_escaped(CANARY, False), CANARY[6:12]):
        assert form not in text

"""Voice presets for the gateways people use (issue 27): LiteLLM's realtime route (`litellm-realtime/ALIAS`)
and xAI's Voice Agent (`xai/grok-voice-*`). Each is a real `rtchat ask` process against the loopback at
the preset's path, with the preset's key variable in the preset's header."""

from __future__ import annotations

import asyncio

from rtchat.catalog import BUILTIN
from rtchat.loopback import scripts
from rtchat.loopback.records import fingerprint
from tests.support.env import isolated_env, rtchat_cmd

KEY = "sk-preset-key-8080"


async def ask(tmp_path, *args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--no-history", *args), env=isolated_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


def assert_one_realtime_socket(loopback, model: str, key: str) -> None:
    """One WebSocket at the preset's path, for `model`, with the key as a Bearer token."""
    [connection] = loopback.connections
    assert connection.path == "/v1/realtime" and connection.query == {"model": model}
    assert connection.auth == {"authorization": f"Bearer {fingerprint(key)}"}


async def test_litellm_realtime_route_takes_any_alias_over_the_realtime_socket(loopback, tmp_path):
    """An alias LiteLLM's config names (here the loopback's `echo`) needs no declaration: the route is Realtime."""
    code, out, err = await ask(tmp_path, "-m", "litellm-realtime/echo", "--protocol", "websocket", "--base-url", f"{loopback.url}/v1", "hello route",
                               LITELLM_API_KEY=KEY)
    assert code == 0, err
    assert "hello route" in out
    assert_one_realtime_socket(loopback, "echo", KEY)
    assert loopback.records == [] or all(r.path == "/v1/realtime" for r in loopback.records), "nothing went over SSE"


async def test_litellm_realtime_route_without_a_key_still_connects(loopback, tmp_path):
    """A proxy without a master key: the key is optional, as for `litellm`."""
    code, out, err = await ask(tmp_path, "-m", "litellm-realtime/echo", "--protocol", "websocket", "--base-url", f"{loopback.url}/v1", "no key")
    assert code == 0, err
    [connection] = loopback.connections
    assert connection.auth == {}


async def test_xai_voice_agent_preset_speaks_realtime_at_v1_realtime_with_the_xai_key(loopback, tmp_path, monkeypatch):
    """The loopback stands in for api.x.ai under xAI's model name (it answers as `echo`)."""
    monkeypatch.setitem(scripts.MODELS, "grok-voice-think-fast-1.0", "stands in for xAI's Voice Agent")
    code, out, err = await ask(tmp_path, "-m", "xai/grok-voice-think-fast-1.0", "--protocol", "websocket", "--base-url", f"{loopback.url}/v1", "hello grok",
                               XAI_API_KEY=KEY)
    assert code == 0, err
    assert "hello grok" in out
    assert_one_realtime_socket(loopback, "grok-voice-think-fast-1.0", KEY)


def test_the_presets_addresses_and_key_variables():
    xai, route = BUILTIN["xai"], BUILTIN["litellm-realtime"]
    assert (xai.base_url, xai.key_env) == ("https://api.x.ai/v1", ("XAI_API_KEY",))
    assert (route.base_url, route.key_env, route.needs_key) == ("http://localhost:4000/v1", ("LITELLM_API_KEY",), False)
    latest = xai.model("grok-voice-latest")  # a later release: the name says it is a voice model
    assert (latest.protocols, latest.ws_wire, latest.voice) == (("websocket",), "openai_realtime", True)
    assert xai.model("grok-4").protocols == ("sse",), "xAI's chat models stay on SSE"
    assert route.model("anything").ws_wire == "openai_realtime" and route.model("anything").protocols == ("websocket",)

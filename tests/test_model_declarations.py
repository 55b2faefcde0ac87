"""Per-model declarations in the config (issue 27): `[providers.NAME.models."MODEL"]` says which
protocols and socket API a model speaks and what it takes, over the catalogue's name rules; a
`[protocols]` choice the model cannot honour is a warning, never silence. Real `rtchat`
processes against the loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rtchat.config import parse_config
from tests.support.env import isolated_env, rtchat_cmd, write_config


async def run_ask(tmp_path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--no-history", *args), env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_a_gateway_alias_declared_realtime_talks_over_the_socket(loopback, tmp_path):
    """LiteLLM serving a Realtime model under a name that is not `gpt-realtime*`."""
    gateway = f'[providers.litellm]\nbase_url = "{loopback.url}/v1"\n'
    write_config(tmp_path, gateway + '\n[protocols]\n"litellm/echo" = "websocket"\n')
    code, out, err = await run_ask(tmp_path, "-m", "litellm/echo", "--protocol", "websocket", "hello alias")
    assert code == 2 and "offers no WebSocket API" in err
    assert '[protocols] "litellm/echo" = "websocket" is ignored: litellm/echo speaks sse only' in err, "the ignored setting is said"
    assert loopback.connections == []

    write_config(tmp_path, gateway + '\n[providers.litellm.models."echo"]\nprotocols = ["sse", "websocket"]\nsocket_api = "realtime-ga"\n\n[protocols]\n"litellm/echo" = "websocket"\n')
    code, out, err = await run_ask(tmp_path, "-m", "litellm/echo", "--protocol", "websocket", "hello alias")
    assert code == 0, err
    assert "hello alias" in out and "warning" not in err
    [connection] = loopback.connections
    assert connection.path == "/v1/realtime"


async def test_a_declared_model_without_tools_is_offered_none(loopback, tmp_path):
    write_config(tmp_path, '[providers.loopback.models."tools"]\ntools = false\n')
    code, out, err = await run_ask(tmp_path, "-m", "loopback/tools", "--base-url", loopback.url + "/v1", "what time is it")
    assert code == 0, err
    assert "tools" not in loopback.records[-1].request_json, "the request carries no tools field at all"


async def test_a_bad_declaration_is_one_line(tmp_path):
    write_config(tmp_path, '[providers.litellm.models."alias"]\nprotocols = ["websocket"]\n')
    code, _, err = await run_ask(tmp_path, "-m", "litellm/alias", "hi")
    assert code == 2 and err.count("\n") == 1
    assert "[providers.litellm]" in err and "socket_api" in err, err


def test_a_listed_realtime_name_keeps_its_socket_and_a_declaration_overrides_the_catalogue():
    config = parse_config(
        '[providers.litellm]\nmodels = ["gpt-realtime-loop"]\n\n'
        '[providers.openai.models."gpt-4.1"]\nthinking = true\nimages = false\n\n'
        '[providers.openai.models."voice-beta"]\nprotocols = ["websocket", "webrtc"]\nsocket_api = "realtime-beta"\naudio = true\n',
        Path("/config.toml"),
    )
    listed = config.catalog.provider("litellm").model("gpt-realtime-loop")
    assert "websocket" in listed.protocols and listed.ws_wire == "openai_realtime", "listing a model does not take its socket away"
    openai = config.catalog.provider("openai")
    assert openai.model("gpt-4.1").thinking is True and "image" not in (openai.model("gpt-4.1").accepts or ())
    voice = openai.model("voice-beta")
    assert voice.protocols == ("websocket", "webrtc") and voice.voice and voice.realtime_dialect == "beta"


async def test_what_a_declared_model_does_not_accept_is_said_not_sent(loopback, tmp_path):
    """`thinking = false`: an effort asked for is a warning and no reasoning field goes out;
    `images = false`: an image is refused in one line before anything is sent."""
    write_config(tmp_path, '[providers.loopback.models."echo"]\nthinking = false\nimages = false\n')
    code, out, err = await run_ask(tmp_path, "-m", "loopback/echo", "--effort", "high", "--base-url", loopback.url + "/v1", "plain please")
    assert code == 0, err
    assert "cannot think; effort high ignored" in err and "plain please" in out
    assert "reasoning_effort" not in loopback.records[-1].request_json
    picture = tmp_path / "dot.png"
    picture.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                                      "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"))
    sent = len(loopback.records)
    code, _, err = await run_ask(tmp_path, "-m", "loopback/echo", "-a", str(picture), "--base-url", loopback.url + "/v1", "see this")
    assert code == 2 and err.count("\n") == 1 and "image" in err, err
    assert len(loopback.records) == sent, "nothing was sent"

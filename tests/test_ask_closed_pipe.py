"""A failure is a failure under `pipefail`, even when stdout's reader went away (issue 27):
`rtchat ask … | head -1` exits with the failure's status and says the error on stderr; a good
answer whose reader stopped early still exits 0. Real `rtchat` processes, real pipes."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess

from aiohttp import web

from tests.support.env import isolated_env, rtchat_cmd
from tests.support.peers import http_peer, sse_head

LINE = "words " * 160 + "\n"  # ~1 KB a frame
FRAMES = 200  # ~200 KB: more than a pipe holds, so the writer meets the closed end whatever the timing


def chunk(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


async def long_answer(request: web.Request) -> web.StreamResponse:
    response = await sse_head(request)
    for _ in range(FRAMES):
        await response.write(chunk({"choices": [{"index": 0, "delta": {"content": LINE}}]}))
    await response.write(chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    await response.write(b"data: [DONE]\n\n")
    return response


async def unknown_model(request: web.Request) -> web.StreamResponse:
    """LiteLLM refusing a model it has no route for, as its proxy answers."""
    return web.json_response({"error": {"message": "model tiny does not exist", "type": "invalid_request_error"}}, status=400)


def ask_args(peer_url: str, *flags: str) -> tuple[str, ...]:
    return ("ask", *flags, "--no-history", "-m", "litellm/tiny", "--base-url", peer_url + "/v1", "hi")


async def piped_to_head(tmp_path, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    ask = shlex.join(rtchat_cmd(*args))
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", f"set -o pipefail; {ask} | head -1",
        env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return subprocess.CompletedProcess([], process.returncode, out.decode(), err.decode())


async def into_a_closed_pipe(tmp_path, args: tuple[str, ...]) -> tuple[int, str]:
    """`rtchat ARGS` whose stdout's reader closed before rtchat wrote a byte: every write breaks."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = await asyncio.create_subprocess_exec(*rtchat_cmd(*args), env=isolated_env(tmp_path), stdout=write_end, stderr=asyncio.subprocess.PIPE)
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, err.decode()


async def test_a_refused_turn_piped_to_head_fails_the_pipeline(tmp_path):
    async with http_peer(unknown_model) as peer:
        result = await piped_to_head(tmp_path, ask_args(peer.url, "--jsonl"))
    assert json.loads(result.stdout)["kind"] == "not_found", "head printed the error line"
    assert result.returncode == 1, result.stderr


async def test_a_refused_turn_whose_reader_is_gone_exits_1_and_says_why_on_stderr(tmp_path):
    async with http_peer(unknown_model) as peer:
        code, err = await into_a_closed_pipe(tmp_path, ask_args(peer.url, "--jsonl"))
    assert code == 1, err
    assert err.startswith("rtchat: litellm does not know the model 'tiny' (400)") and err.count("\n") == 1, err


async def test_a_good_answer_whose_reader_left_early_is_no_failure(tmp_path):
    async with http_peer(long_answer) as peer:
        result = await piped_to_head(tmp_path, ask_args(peer.url))
    assert result.stdout == LINE
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_refused_jsonl_turn_into_a_closed_pipe_exits_2_and_says_why(tmp_path):
    """The reader closed before rtchat wrote a byte: the `--jsonl` error line cannot be written."""
    args = ("ask", "--jsonl", "--no-history", "-m", "litellm/tiny", "--protocol", "websocket", "hi")
    process = subprocess.Popen(rtchat_cmd(*args), env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(60) == 2, err
    assert err == "rtchat: litellm/tiny offers no WebSocket API; use --protocol sse\n"

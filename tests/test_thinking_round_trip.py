"""Signed thinking goes back exactly as the model sent it, from the app and from `ask --continue`.

The loopback checks a follow-up the way Anthropic does: each thinking block's
signature covers its text and its place in the message, and redacted data must
come back unchanged, so a client that alters, merges, reorders or drops a block
gets Anthropic's 400 error shape.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rtchat.loopback.anthropic_messages import sign_thinking
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.ui import idle, make_app, ready, send, wait_for

DELIBERATE = "anthropic/deliberate"


def assistant_blocks(record) -> list[dict]:
    """The assistant content of the follow-up request the loopback received."""
    return [m for m in record.request_json["messages"] if m["role"] == "assistant"][-1]["content"]


async def first_answer_blocks(loopback) -> tuple[list[dict], str]:
    """The content blocks of a `deliberate` answer, read straight off the wire (non-streaming)."""
    body = {"model": "deliberate", "max_tokens": 9000, "thinking": {"type": "enabled", "budget_tokens": 2048}, "messages": [{"role": "user", "content": "first"}]}
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        answer = (await client.post("/v1/messages", json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})).json()
    return answer["content"], answer["content"][-1]["text"]


async def follow_up(loopback, content: list[dict]) -> httpx.Response:
    body = {
        "model": "deliberate", "max_tokens": 9000, "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [{"role": "user", "content": "first"}, {"role": "assistant", "content": content}, {"role": "user", "content": "second"}],
    }
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        return await client.post("/v1/messages", json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})


async def test_the_loopback_refuses_thinking_that_was_not_sent_back_as_given(loopback):
    blocks, _ = await first_answer_blocks(loopback)
    assert [b["type"] for b in blocks] == ["thinking", "redacted_thinking", "thinking", "text"]
    assert (await follow_up(loopback, blocks)).status_code == 200

    first, redacted, second, text = blocks
    altered = [{**first, "thinking": first["thinking"] + " (edited)"}, redacted, second, text]
    merged = [{"type": "thinking", "thinking": first["thinking"] + second["thinking"], "signature": second["signature"]}, redacted, text]
    reordered = [second, redacted, first, text]
    unsigned = [{"type": "thinking", "thinking": first["thinking"]}, redacted, second, text]
    dropped_redacted = [first, second, text]
    for case in (altered, merged, reordered, unsigned, dropped_redacted):
        response = await follow_up(loopback, case)
        assert response.status_code == 400, case
        error = response.json()
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        assert "messages.1.content." in error["error"]["message"]


def test_a_signature_binds_the_block_position():
    assert sign_thinking("same words", 0) != sign_thinking("same words", 2)


@pytest.fixture
def anthropic_on_loopback(isolated, monkeypatch, loopback):
    """The app's config points the `anthropic` provider at the loopback; a dummy key is set."""
    config_dir = isolated / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(f'[providers.anthropic]\nbase_url = "{loopback.url}"\n\n[efforts]\n"{DELIBERATE}" = "low"\n')
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-loopback-test")
    return loopback


async def test_the_app_sends_back_every_block_of_the_last_answer(anthropic_on_loopback):
    loopback = anthropic_on_loopback
    expected, _ = await first_answer_blocks(loopback)
    app = make_app(model=DELIBERATE)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await send(pilot, "first")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        await send(pilot, "second")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 4)
    follow = loopback.records[-1]
    assert follow.status == 200, "Anthropic would have refused the follow-up"
    assert assistant_blocks(follow) == expected
    assert "(turn 2)" in app.state.conversation.messages[-1].text


async def run_ask(tmp_path, loopback, *args: str) -> tuple[int, str, str]:
    env = isolated_env(tmp_path, ANTHROPIC_API_KEY="sk-ant-loopback-test")
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--jsonl", "--effort", "low", "--base-url", loopback.url, *args),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_ask_continue_sends_back_every_block(tmp_path, loopback):
    expected, _ = await first_answer_blocks(loopback)
    code, out, err = await run_ask(tmp_path, loopback, "-m", DELIBERATE, "first")
    assert code == 0, err
    signatures = [json.loads(line)["signature"] for line in out.splitlines() if '"thinking_signature"' in line]
    assert signatures == [expected[0]["signature"], expected[2]["signature"]]
    code, out, err = await run_ask(tmp_path, loopback, "--continue", "second")
    assert code == 0, err
    follow = loopback.records[-1]
    assert follow.status == 200
    assert assistant_blocks(follow) == expected
    assert "(turn 2)" in "".join(json.loads(line).get("text", "") for line in out.splitlines() if '"type": "text"' in line)

"""Proof that the loopback speaks the real formats: the official SDKs and rtchat's own
client read the same loopback streams into the same text, thinking and signature."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.events import TextDelta, ThinkingDelta, ThinkingSignature
from rtchat.session import Session
from tests.support.sdk import PROMPT, read_with_anthropic_sdk, read_with_openai_responses_sdk, read_with_openai_sdk


async def read_with_rtchat(ref: str, base_url: str, prompt: str, effort: str = "low") -> tuple[str, str, str]:
    session = Session(load_config())
    try:
        target = await session.resolve(ref, base_url)
        conversation = Conversation()
        conversation.add_user(prompt)
        events = [e async for e in session.turn(target, conversation, effort).events()]
    finally:
        await session.aclose()
    return (
        "".join(e.text for e in events if isinstance(e, TextDelta)),
        "".join(e.text for e in events if isinstance(e, ThinkingDelta)),
        "".join(e.signature for e in events if isinstance(e, ThinkingSignature)),
    )


@pytest.fixture(autouse=True)
def keys(monkeypatch, tmp_path):
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path))
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(var, "test")


@pytest.mark.parametrize("model", ["echo", "lorem@0"])
async def test_chat_completions_same_as_openai_sdk(loopback, model):
    sdk_text, sdk_thinking = await read_with_openai_sdk(loopback.url, model, PROMPT)
    text, thinking, _ = await read_with_rtchat(f"openai/{model}", loopback.url + "/v1", PROMPT)
    assert (text, thinking) == (sdk_text, sdk_thinking) and len(text) > len(PROMPT)


async def test_responses_same_as_openai_sdk(loopback):
    sdk_text, sdk_thinking = await read_with_openai_responses_sdk(loopback.url, "echo", PROMPT)
    session_config = load_config()
    session_config.catalog.providers["openai"] = replace(session_config.catalog.providers["openai"], wire="openai_responses")
    session = Session(session_config)
    try:
        target = await session.resolve("openai/echo", loopback.url + "/v1")
        conversation = Conversation()
        conversation.add_user(PROMPT)
        events = [e async for e in session.turn(target, conversation, "low").events()]
    finally:
        await session.aclose()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == sdk_text
    assert "".join(e.text for e in events if isinstance(e, ThinkingDelta)) == sdk_thinking


async def test_messages_same_as_anthropic_sdk(loopback):
    sdk = await read_with_anthropic_sdk(loopback.url, "echo", PROMPT)
    ours = await read_with_rtchat("anthropic/echo", loopback.url, PROMPT)
    assert ours == sdk and sdk[2], "text, thinking and the signature all match"

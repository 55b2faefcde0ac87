"""Helpers shared by the WebSocket tests: a session bound to the loopback, turns run to the end."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Error, TextDelta
from rtchat.session import Session


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return tmp_path


def make_session(loopback=None, **network) -> Session:
    """A session; with `loopback`, the gemini provider points at it (Live over the loopback)."""
    config = load_config()
    config.network = replace(NetworkSettings(), **{"retries": 2, **network})
    if loopback is not None:
        gemini = config.catalog.providers["gemini"]
        config.catalog.providers["gemini"] = replace(gemini, base_url=loopback.url, needs_key=False)
    return Session(config)


async def ask(session: Session, target, conversation: Conversation, prompt: str, *, cancel_after: int | None = None, keep: bool = True):
    """One WebSocket turn; returns (events, turn). `cancel_after` text deltas, then cancel()."""
    conversation.add_user(prompt)
    turn = session.turn(target, conversation, protocol="websocket")
    events = []
    async for event in turn.events():
        events.append(event)
        if cancel_after is not None and sum(isinstance(e, TextDelta) for e in events) == cancel_after:
            turn.cancel()
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    if keep and text:
        conversation.messages.append(ChatMessage("assistant", text))
    return events, turn


def text_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def done_of(events) -> str:
    assert isinstance(events[-1], Done), events[-1]
    return events[-1].reason


def errors_of(events) -> list[Error]:
    return [e for e in events if isinstance(e, Error)]

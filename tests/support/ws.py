"""Helpers shared by the WebSocket tests: a session bound to the loopback, turns run to the end."""

from __future__ import annotations

from dataclasses import replace

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import Conversation
from rtchat.session import Session
from tests.support.turns import run_turn


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
    return await run_turn(session, target, conversation, prompt, protocol="websocket", cancel_after=cancel_after, keep=keep)

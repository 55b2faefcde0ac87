"""Helpers for the WebRTC text tests: a session whose loopback fault models offer
WebRTC (the catalog lists them as SSE-only), turns run to the end, tiny peers."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import replace

from aiohttp import web

from rtchat.catalog import PROTOCOLS, ModelInfo
from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import Conversation
from rtchat.session import Session
from tests.support.turns import run_turn

FAULT_MODELS = ("fault-401", "fault-close-midreply", "fault-stall")


def make_session(**network) -> Session:
    config = load_config()
    config.network = replace(NetworkSettings(), **{"retries": 2, **network})
    loopback = config.catalog.providers["loopback"]
    faults = tuple(ModelInfo(name, False, PROTOCOLS) for name in FAULT_MODELS)
    config.catalog.providers["loopback"] = replace(loopback, models=loopback.models + faults)
    return Session(config)


async def ask(session: Session, target, conversation: Conversation, prompt: str, *, cancel_after: int | None = None, protocol: str = "webrtc"):
    """One turn over WebRTC; returns (events, turn). `cancel_after` text deltas, then cancel()."""
    return await run_turn(session, target, conversation, prompt, protocol=protocol, cancel_after=cancel_after)


def calls(loopback) -> list:
    """The loopback's WebRTC sessions (one per call placed)."""
    return [c for c in loopback.connections if c.path == "/v1/realtime/calls"]


@asynccontextmanager
async def tiny_peer(handler):
    """An aiohttp app answering `POST /v1/realtime/calls` with `handler`; yields its base URL."""
    app = web.Application()
    app.router.add_post("/v1/realtime/calls", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    finally:
        await runner.cleanup()


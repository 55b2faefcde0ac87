"""`rtchat models`: what can be picked, with capabilities and key state."""

from __future__ import annotations

import asyncio
import sys

import httpx

from rtchat.catalog import ModelInfo, Provider, UnknownProvider
from rtchat.commands.common import fail, load_config_or_report
from rtchat.model_list import cached_ids, fetch_ids, merged
from rtchat.sanitize import terminal_safe
from rtchat.secrets import has_key
from rtchat.session import Session


PROTOCOL_NAMES = {"sse": "SSE", "websocket": "WebSocket", "webrtc": "WebRTC"}  # one naming everywhere
PROTOCOLS_WIDTH = len("SSE,WebSocket,WebRTC")


def describe(info: ModelInfo) -> str:
    thinking = {True: "thinking", False: "-", None: "unknown"}[info.thinking]  # None: the server listed it, nothing more
    voice = "voice" if info.voice else "-"
    protocols = ",".join(PROTOCOL_NAMES.get(p, p) for p in info.protocols)
    return f"{thinking:9} {protocols:{PROTOCOLS_WIDTH}} {voice:6}"


async def gather(config, providers: list[Provider], refresh: bool) -> dict[str, list[str] | None]:
    session = Session(config)
    found: dict[str, list[str] | None] = {}
    try:
        for provider in providers:
            ids = None if refresh else cached_ids(provider)
            can_ask = provider.lists_models and (not provider.needs_key or has_key(provider))
            if ids is None and can_ask and (refresh or provider.id not in ("loopback", "ollama")):
                try:
                    target = await session.resolve(f"{provider.id}/{provider.default_model or 'x'}")
                    ids = await fetch_ids(provider, target.base_url, session.client_for(target.base_url), config.network.connect_timeout)
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    print(f"rtchat: could not list {provider.id}'s models: {terminal_safe(str(exc)) or type(exc).__name__}", file=sys.stderr)
            found[provider.id] = ids
    finally:
        await session.aclose()
    return found


def run_models(args) -> int:
    config = load_config_or_report()
    if config is None:
        return 2
    providers = list(config.catalog.providers.values())
    if args.provider:
        try:
            providers = [config.catalog.provider(args.provider)]
        except UnknownProvider as exc:
            return fail(str(exc))
    server_ids = asyncio.run(gather(config, providers, args.refresh))
    print(f"{'MODEL':44} {'THINKING':9} {'PROTOCOLS':{PROTOCOLS_WIDTH}} {'VOICE':6} KEY")
    for provider in providers:
        key = "not needed" if not provider.needs_key else ("set" if has_key(provider) else "missing")
        for info in merged(provider, server_ids.get(provider.id)):
            print(f"{terminal_safe(provider.id + '/' + info.id):44} {describe(info)} {key}")
    return 0

"""`rtchat models`: what can be picked, with capabilities and key state."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import httpx

from rtchat.catalog import PROTOCOL_NAMES, ModelInfo, Provider, UnknownProvider, is_fault_model, protocol_name
from rtchat.commands.common import fail, load_config_or_report
from rtchat.loopback.scripts import MODELS as LOOPBACK_MODELS
from rtchat.model_list import cached_ids, fetch_ids, merged
from rtchat.sanitize import terminal_safe
from rtchat.secrets import has_key
from rtchat.session import Session
from rtchat.target import is_local


PROTOCOLS_WIDTH = len(",".join(PROTOCOL_NAMES.values()))


def describe(info: ModelInfo) -> str:
    thinking = {True: "thinking", False: "-", None: "unknown"}[info.thinking]  # None: the server listed it, nothing more
    voice = "voice" if info.voice else "-"
    protocols = ",".join(protocol_name(p) for p in info.protocols)
    return f"{thinking:9} {protocols:{PROTOCOLS_WIDTH}} {voice:6}"


FAULTS_HEADING = "Fault models (the loopback's, no key needed): each fails one way, to try error handling"
NOT_LISTENING = "nothing is listening there"


@dataclass(frozen=True)
class Unlisted:
    """A provider whose model list could not be had: where it was asked, and why."""

    provider: str
    address: str  # host:port as configured
    reason: str
    local: bool  # a server on this machine (not running here is normal, not an error)


def address_of(base_url: str) -> str:
    url = httpx.URL(base_url)
    return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


def why_unlisted(exc: Exception) -> str:
    """One readable reason: nothing listening, a timeout, or what the server answered."""
    if isinstance(exc, httpx.ConnectError):
        return NOT_LISTENING
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    return terminal_safe(str(exc)) or type(exc).__name__


async def gather(config, providers: list[Provider], refresh: bool) -> tuple[dict[str, list[str] | None], list[Unlisted]]:
    """Each provider's listed ids (None: not asked or not had), and those that could not be listed."""
    session = Session(config)
    found: dict[str, list[str] | None] = {}
    unlisted: list[Unlisted] = []
    try:
        for provider in providers:
            ids = None if refresh else cached_ids(provider)
            can_ask = provider.lists_models and (not provider.needs_key or has_key(provider))
            if ids is None and can_ask and (refresh or provider.id not in ("loopback", "ollama")):
                base_url = provider.base_url or ""
                try:
                    target = await session.resolve(f"{provider.id}/{provider.default_model or 'x'}")
                    base_url = target.base_url
                    ids = await fetch_ids(provider, target.base_url, session.client_for(target.base_url), config.network.connect_timeout)
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    unlisted.append(Unlisted(provider.id, address_of(base_url) if base_url else provider.id, why_unlisted(exc), is_local(base_url)))
            found[provider.id] = ids
    finally:
        await session.aclose()
    return found, unlisted


def report_unlisted(unlisted: list[Unlisted], refresh: bool) -> None:
    """Local servers that are not running: one muted line (each explained with --refresh).
    A remote provider that could not list its models: a line each, as that is worth knowing."""
    quiet = [item for item in unlisted if item.local and not refresh]
    for item in unlisted:
        if item not in quiet:
            hint = f"; start it, or set [providers.{item.provider}] base_url" if item.reason == NOT_LISTENING else ""
            print(f"rtchat: could not list {item.provider}'s models at {item.address}: {item.reason}{hint}", file=sys.stderr)
    if quiet:
        absent = [f"{item.provider} {item.address}" for item in quiet if item.reason == NOT_LISTENING]
        failing = [f"{item.provider} {item.address} ({item.reason})" for item in quiet if item.reason != NOT_LISTENING]
        parts = ([f"not running here: {', '.join(absent)}"] if absent else []) + ([f"not listing: {', '.join(failing)}"] if failing else [])
        line = "; ".join(parts) + " (rtchat models --refresh says why)"
        print(f"\x1b[2m{line}\x1b[0m" if sys.stderr.isatty() else line, file=sys.stderr)


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
    server_ids, unlisted = asyncio.run(gather(config, providers, args.refresh))
    print(f"{'MODEL':44} {'THINKING':9} {'PROTOCOLS':{PROTOCOLS_WIDTH}} {'VOICE':6} KEY")
    faults: list[str] = []
    for provider in providers:
        key = "not needed" if not provider.needs_key else ("set" if has_key(provider) else "missing")
        scripted = LOOPBACK_MODELS if provider.id == "loopback" else None  # as the model picker lists them
        for info in merged(provider, server_ids.get(provider.id), scripted):
            ref = terminal_safe(provider.id + "/" + info.id)
            if scripted and is_fault_model(info.id):
                faults.append(f"{ref:44} {info.note}")
            else:
                print(f"{ref:44} {describe(info)} {key}")
    if faults:
        print(f"\n{FAULTS_HEADING}")
        print("\n".join(faults))
    sys.stdout.flush()  # the table first, then what could not be listed under it
    report_unlisted(unlisted, args.refresh)
    return 0

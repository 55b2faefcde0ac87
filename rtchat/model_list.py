"""Models a provider offers: the catalogue's, plus its own `GET /models`, cached for a day."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx

from rtchat.catalog import ModelInfo, Provider, scripted_models
from rtchat.config import cache_dir
from rtchat.secrets import lookup_key
from rtchat.target import key_headers

MAX_AGE = 24 * 3600
LIST_READ_S = 5.0  # the listing is a few kB: after connecting, this long for all of it


def _cache_file(provider: Provider) -> Path:
    return cache_dir() / "models" / f"{provider.id}.json"


def cached_ids(provider: Provider, max_age: float = MAX_AGE) -> list[str] | None:
    try:
        data = json.loads(_cache_file(provider).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if time.time() - data.get("fetched", 0) > max_age:
        return None
    return [str(m) for m in data.get("models", [])]


def _listing_request(provider: Provider, base_url: str, key: str | None) -> tuple[str, dict]:
    headers = key_headers(provider.wire, key)
    if provider.wire == "anthropic":
        return f"{base_url}/v1/models", {"anthropic-version": "2023-06-01", **headers}
    if provider.wire == "gemini":
        return f"{base_url}/v1beta/models", headers
    return f"{base_url}/models", headers


def _ids_from(payload: object) -> list[str]:
    """The model ids of a listing; entries that are not objects with a string id are skipped."""
    if not isinstance(payload, dict):
        raise ValueError("the model list is not a JSON object")
    entries, field = (payload.get("models"), "name") if "models" in payload else (payload.get("data"), "id")  # Gemini: models[].name
    ids = [entry.get(field) for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    return [model_id.removeprefix("models/") for model_id in ids if isinstance(model_id, str) and model_id]


async def fetch_ids(provider: Provider, base_url: str, client: httpx.AsyncClient, connect_timeout: float = 10.0) -> list[str]:
    """Ask the provider; raises httpx errors or ValueError with a readable message. The whole
    listing has `connect_timeout` plus `LIST_READ_S` seconds: httpx's timeouts are per read,
    so a server dripping a byte at a time would otherwise hold `rtchat models` forever."""
    deadline = connect_timeout + LIST_READ_S
    key = lookup_key(provider).value
    url, headers = _listing_request(provider, base_url.rstrip("/"), key)
    try:
        async with asyncio.timeout(deadline):
            response = await client.get(url, headers=headers, timeout=5.0)  # the client never follows a redirect
    except TimeoutError:
        raise ValueError(f"{provider.id} did not send its model list within {deadline:g} s") from None
    if 300 <= response.status_code < 400:
        where = response.headers.get("location") or "another address"
        raise ValueError(f"{provider.id} redirected the model list to {where}; rtchat does not follow redirects, so your key stays with {response.url.host}")
    if response.status_code != 200:
        raise ValueError(f"{provider.id} answered {response.status_code} to {url}")
    ids = _ids_from(response.json())
    path = _cache_file(provider)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetched": time.time(), "models": ids}), encoding="utf-8")
    return ids


def merged(provider: Provider, server_ids: list[str] | None, scripted: dict[str, str] | None = None) -> list[ModelInfo]:
    """Catalogue entries first (they know capabilities), then the scripted ones (the loopback's),
    then anything else the server listed."""
    listed = list(provider.models) + scripted_models(provider, scripted or {})
    known = {m.id for m in listed}
    return listed + [ModelInfo(model_id) for model_id in server_ids or [] if model_id not in known]

"""Where a request may go: a resolved model, whether its host is this machine, and
what must be refused before anything leaves."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rtchat.catalog import ModelInfo, Provider
from rtchat.events import Error, ErrorKind
from rtchat.pricing import FREE, Price


@dataclass
class Target:
    """A resolved model: where to send, with which key, in which format."""

    provider: Provider
    model: str
    info: ModelInfo
    base_url: str
    key: str | None = field(repr=False, default=None)
    key_source: str | None = None
    price: Price | None = None  # None: rtchat does not know what this model costs

    @property
    def ref(self) -> str:
        return f"{self.provider.id}/{self.model}"

    @property
    def realtime_dialect(self) -> str | None:
        """The Realtime dialect declared for this model, else the provider's (None: as the server says)."""
        return self.info.realtime_dialect or self.provider.realtime_dialect

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or self.base_url

    @property
    def address(self) -> str:
        """host:port, for messages about connecting (the port is often the whole story locally)."""
        return host_and_port(self.base_url)


def host_and_port(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(parts.scheme)
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def is_local(url: str) -> bool:
    """True only for this machine: an IP literal in 127.0.0.0/8 or ::1, or exactly `localhost`.

    Decided from the URL alone, before any DNS lookup: `127.attacker.example` is a
    name anyone can point anywhere, so it is not local."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


GATEWAYS = frozenset({"litellm"})  # relay to paid providers upstream, even from this machine


def is_free(provider_id: str, base_url: str | None) -> bool:
    """No per-token bill: the loopback, or a server on this machine (`is_local`) that is not a
    gateway. A self-hosted server elsewhere, or any gateway, may bill: its cost is unknown unless
    it says it or a price is configured."""
    return provider_id == "loopback" or (provider_id not in GATEWAYS and is_local(base_url or ""))


def cost_unknown(target: Target, cost: object | None) -> bool:
    """An answer with no cost has an unknown one unless its target bills nothing (`is_free` and no
    price of its own, so `FREE`): a gateway or remote server that said none and has no price, or a
    priced model whose counts were missing or not believed. Shown as "cost unknown", never $0."""
    return cost is None and target.price != FREE


KEY_HEADERS = {"anthropic": "x-api-key", "gemini": "x-goog-api-key", "gemini_live": "x-goog-api-key", "azure_chat": "api-key"}


def key_headers(wire: str, key: str | None) -> dict[str, str]:
    """How an API takes its key, by wire (a provider's `wire` or a socket's `ws_wire`): Anthropic
    `x-api-key`, Gemini (REST and Live) `x-goog-api-key`, Azure `api-key`, everything else
    `Authorization: Bearer`. No key, no header. Wire builders, which get only the key, use this."""
    if not key:
        return {}
    header = KEY_HEADERS.get(wire)
    return {header: key} if header else {"Authorization": f"Bearer {key}"}


def auth_headers(target: Target) -> dict[str, str]:
    """The key headers for a resolved target, on any transport (HTTP, WebSocket, WebRTC offer)."""
    return key_headers(target.provider.wire, target.key)


def preflight(target: Target) -> Error | None:
    """A problem to report before anything leaves (no key, a key about to travel unencrypted)."""
    if target.provider.needs_key and not target.key:
        env = " or ".join(target.provider.key_env) or "an env var"
        return Error(ErrorKind.AUTH, f"no key for {target.provider.id}: set one with `rtchat keys set {target.provider.id}` or export {env}")
    scheme = urlsplit(target.base_url).scheme
    if scheme not in ("http", "https"):
        return Error(ErrorKind.CONFIG, f"the base URL of {target.provider.id} must start with https:// (or http:// for this machine) (got {target.base_url!r})")
    if scheme == "http" and not is_local(target.base_url) and not target.provider.allow_insecure:
        return Error(ErrorKind.INSECURE, f"refusing to send your {target.provider.id} key over plain http to {target.host}; use https, or set allow_insecure = true under [providers.{target.provider.id}]")
    return None

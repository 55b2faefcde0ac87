"""Where `rtchat web` listens and the address it prints: loopback unless asked, HTTPS when given a certificate.

Pure: no socket is opened here, so the refusal of a non-loopback host and the warnings are
decided (and tested) before anything binds.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from rtchat.errors import InputFailure

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


class AddressRefused(InputFailure, ValueError):
    """A `--host`/`--certfile` combination rtchat will not serve; the message says what to do."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it resolves to who knows what
        return False


@dataclass(frozen=True)
class Listen:
    """A decided address: what to bind, how browsers reach it, what to warn about."""

    host: str
    port: int
    https: bool = False
    remote: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    def browser_host(self) -> str:
        """The name a browser uses for this server: the machine's name for a wildcard bind, an
        IPv6 literal in brackets."""
        host = socket.gethostname() if self.host in WILDCARDS else self.host
        return f"[{host}]" if ":" in host else host

    def base_url(self, port: int | None = None) -> str:
        """The printed URL without its key; `port` is the bound one (for `--port 0`)."""
        return f"{self.scheme}://{self.browser_host()}:{self.port if port is None else port}"

    def allowed_hosts(self) -> frozenset[str] | None:
        """Host names a request may carry (DNS rebinding: a page of evil.example resolved to
        127.0.0.1 reaches a loopback server under its own name); None: any (a remote bind is
        reached by names rtchat cannot know; the cookie guards it)."""
        return None if self.remote else LOOPBACK_NAMES


def plan_listen(host: str, port: int, *, allow_remote: bool = False, certfile: str | None = None, keyfile: str | None = None) -> Listen:
    """The address to serve, or AddressRefused saying why not."""
    if bool(certfile) != bool(keyfile):
        raise AddressRefused("HTTPS needs both --certfile and --keyfile")
    if not 0 <= port <= 65535:
        raise AddressRefused(f"--port must be 0-65535, not {port}")
    https = bool(certfile)
    if is_loopback(host):
        return Listen(host, port, https=https)
    if not allow_remote:
        raise AddressRefused(
            f"rtchat web listens on loopback addresses only (127.0.0.1, ::1), not {host}: anyone who "
            "reaches that address could chat with your keys. Add --allow-remote if you mean it"
        )
    warnings = [] if https else [
        "traffic is plain HTTP: anyone on the network between you and this machine can read the key, "
        "the prompts and the answers. Give --certfile and --keyfile to serve HTTPS"
    ]
    return Listen(host, port, https=https, remote=True, warnings=warnings)

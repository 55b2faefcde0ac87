"""The words for a request to a target that failed: a status the server answered, a network error.

They name the provider, its key, the model and the settings to change, so they live
above `target` and `config` (`errors` below them keeps the tree and the generic wording).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rtchat.errors import server_message
from rtchat.events import Error, ErrorKind

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.target import Target

UPSTREAM_WORDS = ("upstream", "litellm.", "provider returned", "openrouter")
UNKNOWN_MODEL_WORDS = ("invalid model", "model not found", "unknown model", "does not exist", "no such model", "model_not_found")


def describe_status(target: Target, status: int, body: bytes, tries: int, location: str | None = None) -> Error:
    """A refused request in words that say whose fault it is and what to do."""
    provider = target.provider.id
    detail = server_message(body)
    suffix = f": {detail}" if detail else ""
    lowered = detail.lower()
    if status in (401, 403):
        if not target.key:
            return Error(ErrorKind.AUTH, f"{target.address} wants a key ({status}), and rtchat sent none for {provider}; set one with `rtchat keys set {provider}`{suffix}")
        if any(word in lowered for word in UPSTREAM_WORDS):
            return Error(ErrorKind.AUTH, f"{provider} accepted your key but its upstream provider refused the request ({status}); check the gateway's own keys{suffix}")
        return Error(ErrorKind.AUTH, f"the key for {provider} was rejected ({status}); set it with `rtchat keys set {provider}`{suffix}")
    if status == 404 or (status == 400 and any(word in lowered for word in UNKNOWN_MODEL_WORDS)):
        return Error(ErrorKind.NOT_FOUND, f"{provider} does not know the model '{target.model}' ({status}); see `rtchat models --provider {provider} --refresh`{suffix}")
    if 300 <= status < 400:
        return Error(ErrorKind.REDIRECT, f"{provider} redirected the request to {location or 'another address'}; rtchat does not follow redirects, so your key stays with {target.host}. Check the base_url")
    if status == 429:
        return Error(ErrorKind.RATE_LIMIT, f"{provider} is rate limiting (429) after {_tries(tries)}{suffix}", retryable=True)
    if status == 529:
        return Error(ErrorKind.OVERLOADED, f"{provider} is overloaded (529) after {_tries(tries)}; try again shortly{suffix}", retryable=True)
    if status >= 500:
        return Error(ErrorKind.SERVER, f"{provider} had a server error ({status}) after {_tries(tries)}{suffix}", retryable=True)
    return Error(ErrorKind.BAD_REQUEST, f"{provider} refused the request ({status}){suffix}")


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


def describe_network_error(target: Target, exc: Exception, network: NetworkSettings, after_first_token: bool) -> Error:
    import httpx  # noqa: PLC0415 - only the HTTP path needs httpx's exception classes; already loaded there

    host = target.address
    if isinstance(exc, httpx.ReadTimeout):
        when = "mid-answer" if after_first_token else "after the request"
        return Error(ErrorKind.TIMEOUT, f"{host} sent nothing for {network.stall_timeout:g} s {when} (stall timeout); raise [network] stall_timeout if the model needs longer", retryable=True)
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Error(ErrorKind.CONNECTION, f"could not connect to {host} within {network.connect_timeout:g} s", retryable=True)
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or type(exc).__name__
        if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
            return Error(ErrorKind.TLS, f"the TLS certificate of {host} could not be verified ({reason}); rtchat always verifies TLS")
        return Error(ErrorKind.CONNECTION, f"could not connect to {host} ({reason}); check the network and the base URL", retryable=True)
    if after_first_token:
        return Error(ErrorKind.CONNECTION, f"the connection to {host} dropped mid-answer ({type(exc).__name__}); the partial answer is kept", retryable=True)
    return Error(ErrorKind.CONNECTION, f"the connection to {host} failed ({type(exc).__name__}: {exc})", retryable=True)

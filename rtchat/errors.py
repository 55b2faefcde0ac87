"""The error tree and the words a person reads.

Every failure rtchat raises is an `RtchatError`; its class says what kind of
failure it is and `event()` turns it into the `Error` event the screen, `ask`
and the history show. The wording helpers here turn what a server answered
into one line that says whose fault it is and what to do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from rtchat.events import Error, ErrorKind

if TYPE_CHECKING:
    from rtchat.config import NetworkSettings
    from rtchat.target import Target

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
MESSAGE_LIMIT = 300


class RtchatError(Exception):
    """Base of every failure rtchat reports; `message` is already worded for a person."""

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    retryable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def event(self) -> Error:
        return Error(self.kind, self.message, self.retryable)


class ConfigFailure(RtchatError):
    kind = ErrorKind.CONFIG


class StorageFailure(RtchatError):
    kind = ErrorKind.STORAGE


class ProtocolFailure(RtchatError):
    """The server sent something rtchat cannot accept (a frame too large, a broken stream)."""

    kind = ErrorKind.PROTOCOL


class ConnectionFailure(RtchatError):
    kind = ErrorKind.CONNECTION
    retryable = True


class VoiceUnavailable(RtchatError):
    """Audio cannot work here (no PortAudio, no device); text chat goes on."""

    kind = ErrorKind.VOICE


class ReportedFailure(RtchatError):
    """A failure already worded as an `Error` event (a refused upgrade, a dead socket)."""

    def __init__(self, error: Error) -> None:
        super().__init__(error.message)
        self.error = error

    def event(self) -> Error:
        return self.error


class HttpStatusFailure(RtchatError):
    """The server answered with a status other than 200 before any stream.

    Carries the raw status, body and headers so `describe_status` can word it for
    the provider at hand."""

    kind = ErrorKind.SERVER

    def __init__(self, status: int, body: bytes, retry_after: float | None = None, location: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.location = location


def server_message(body: bytes) -> str:
    """The human part of an error body, whatever the provider's shape."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:MESSAGE_LIMIT]
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or error)[:MESSAGE_LIMIT]
        return str(error)[:MESSAGE_LIMIT]
    return text[:MESSAGE_LIMIT]


def describe_status(target: Target, status: int, body: bytes, tries: int, location: str | None = None) -> Error:
    provider = target.provider.id
    detail = server_message(body)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        return Error(ErrorKind.AUTH, f"the key for {provider} was rejected ({status}); set it with `rtchat keys set {provider}`{suffix}")
    if status == 404:
        return Error(ErrorKind.NOT_FOUND, f"{provider} does not know the model '{target.model}' (404); see `rtchat models --provider {provider}`{suffix}")
    if 300 <= status < 400:
        return Error(ErrorKind.REDIRECT, f"{provider} redirected the request to {location or 'another address'}; rtchat does not follow redirects, so your key stays with {target.host}. Check the base_url")
    if status == 429:
        return Error(ErrorKind.RATE_LIMIT, f"{provider} is rate limiting (429) after {tries} tries{suffix}", retryable=True)
    if status == 529:
        return Error(ErrorKind.OVERLOADED, f"{provider} is overloaded (529) after {tries} tries; try again shortly{suffix}", retryable=True)
    if status >= 500:
        return Error(ErrorKind.SERVER, f"{provider} had a server error ({status}) after {tries} tries{suffix}", retryable=True)
    return Error(ErrorKind.BAD_REQUEST, f"{provider} refused the request ({status}){suffix}")


def describe_network_error(target: Target, exc: Exception, network: NetworkSettings, after_first_token: bool) -> Error:
    import httpx  # noqa: PLC0415 - only the HTTP path needs httpx's exception classes; already loaded there

    host = target.host
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


def stall_error(host: str, seconds: float, after_first_token: bool) -> Error:
    """A server that went silent (pings may still be answered), on any transport."""
    when = "mid-answer; the partial answer is kept" if after_first_token else "after the request"
    return Error(ErrorKind.TIMEOUT, f"{host} sent nothing for {seconds:g} s {when} (stall timeout); raise [network] stall_timeout if the model needs longer", retryable=True)


def unexpected(exc: BaseException) -> Error:
    """A bug in rtchat: say so plainly (callers redact it) rather than lose the partial answer."""
    return Error(ErrorKind.INTERNAL, f"rtchat hit an unexpected error: {type(exc).__name__}: {exc}")

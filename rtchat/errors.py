"""The error tree and the words a person reads.

Every failure rtchat raises is an `RtchatError`; its class says what kind of
failure it is and `event()` turns it into the `Error` event the screen, `ask`
and the history show. The wording helpers here turn what a server answered
into one line that says whose fault it is and what to do.
"""

from __future__ import annotations

import html
import json
import re
from typing import ClassVar

from rtchat.events import Error, ErrorKind

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


class InputFailure(RtchatError):
    """Something the user handed rtchat cannot be used (a file, a prompt): one line saying why."""

    kind = ErrorKind.BAD_REQUEST


class UnavailableFailure(RtchatError):
    """What was asked for does not exist here (a protocol a model lacks, an unknown provider)."""

    kind = ErrorKind.UNAVAILABLE


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


class DeadlinePassed(RtchatError):
    """A turn deadline passed (stall, first_token or total); `which` names it for the message."""

    kind = ErrorKind.TIMEOUT
    retryable = True

    def __init__(self, which: str, seconds: float) -> None:
        super().__init__(f"{which} deadline of {seconds:g} s")
        self.which = which
        self.seconds = seconds


class HttpStatusFailure(RtchatError):
    """The server answered with a status other than 200 before any stream.

    Carries the raw status, body and headers so `request_errors.describe_status` can word it for
    the provider at hand."""

    kind = ErrorKind.SERVER

    def __init__(self, status: int, body: bytes, retry_after: float | None = None, location: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.location = location


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line of at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def server_message(body: bytes) -> str:
    """The human part of an error body, whatever its shape: JSON `error` or `detail`
    (FastAPI servers), an SSE-framed JSON error, plain text, or an HTML page."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith(("data:", "event:")):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = "\n".join(data).strip() or text
    try:
        data = json.loads(text)
    except ValueError:
        return shorten(_html_text(text) if _looks_like_html(text) else text)
    return shorten(_json_message(data) or text)


def _json_message(data: object) -> str:
    if isinstance(data, list):
        return "; ".join(filter(None, (_json_message(item) for item in data[:3])))
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return ""
    for field in ("error", "detail", "message", "msg"):
        value = data.get(field)
        if isinstance(value, (dict, list)):
            found = _json_message(value)
            if found:
                return found
        elif value:
            return str(value)
    return str(data.get("type") or data.get("code") or "")


def _looks_like_html(text: str) -> bool:
    return text[:200].lstrip().lower().startswith(("<!doctype html", "<html", "<head", "<body"))


def _html_text(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    title = html.unescape(match.group(1)).strip() if match else ""
    return f"an HTML page ({title})" if title else "an HTML page, likely a login or proxy page"


def deadline_error(host: str, passed: DeadlinePassed, after_first_token: bool) -> Error:
    """A turn that ran out of time: which deadline, and what is kept."""
    kept = "; the partial answer is kept" if after_first_token else ""
    if passed.which == "first_token":
        return Error(ErrorKind.TIMEOUT, f"{host} sent no answer within {passed.seconds:g} s (first-token deadline); raise [network] first_token_timeout if the model needs longer")
    if passed.which == "total":
        return Error(ErrorKind.TIMEOUT, f"the answer from {host} took longer than {passed.seconds:g} s in all (total deadline){kept}; raise [network] total_timeout to allow more")
    return stall_error(host, passed.seconds, after_first_token)


def stall_error(host: str, seconds: float, after_first_token: bool) -> Error:
    """A server that went silent (pings may still be answered), on any transport."""
    when = "mid-answer; the partial answer is kept" if after_first_token else "after the request"
    return Error(ErrorKind.TIMEOUT, f"{host} sent nothing for {seconds:g} s {when} (stall timeout); raise [network] stall_timeout if the model needs longer", retryable=True)


def unexpected(exc: BaseException) -> Error:
    """A bug in rtchat: say so plainly (callers redact it) rather than lose the partial answer."""
    return Error(ErrorKind.INTERNAL, f"rtchat hit an unexpected error: {type(exc).__name__}: {exc}")

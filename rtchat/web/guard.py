"""Who may use an `rtchat web` server: whoever holds this run's secret, from the page it served.

The printed URL carries a fresh secret (`?key=`). Visiting it sets the secret as an HttpOnly,
SameSite=Strict cookie and redirects to the clean URL, so the key leaves the address bar and
the history. Every other request without that cookie answers 403: the page, the static files,
the downloads and the WebSocket alike. The WebSocket upgrade also needs the page's own origin
in its Origin header: a browser sends a page's Origin on every WebSocket it opens, so a page of
another site cannot drive a tab's app even where a browser would send the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

WS_PATH = "/ws"
KEY_PARAM = "key"
FORBIDDEN = "rtchat web: open the address `rtchat web` printed (it carries this run's key)\n"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def cookie_name(secret: str) -> str:
    """Cookies are per host, not per port: two servers on 127.0.0.1 must not overwrite each
    other's, so the name is this run's (a digest of the secret, which it does not reveal)."""
    return "rtchat_" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def same(given: str | None, secret: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


def served_origin(request: web.Request) -> str:
    """The origin the page was served from: this request's own scheme and Host."""
    return f"{request.scheme}://{request.host}"


def forbidden(reason: str = FORBIDDEN) -> web.Response:
    return web.Response(status=403, text=reason)


def guard(secret: str, allowed_hosts: frozenset[str] | None, https: bool):
    """The aiohttp middleware that lets in only the holder of `secret` (see the module's docstring)."""
    name = cookie_name(secret)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if allowed_hosts is not None and request.url.host not in allowed_hosts:
            return forbidden("rtchat web: unknown host name\n")
        if KEY_PARAM in request.query:
            if request.path != "/" or not same(request.query.get(KEY_PARAM), secret):
                return forbidden()
            response = web.Response(status=303, headers={"Location": "/"})
            response.set_cookie(name, secret, httponly=True, samesite="Strict", secure=https, path="/")
            return response
        if not same(request.cookies.get(name), secret):
            return forbidden()
        if request.path == WS_PATH and request.headers.get("Origin") != served_origin(request):
            return forbidden("rtchat web: a WebSocket from another origin\n")
        return await handler(request)

    return middleware

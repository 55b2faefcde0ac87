"""The `rtchat web` server: textual-serve's terminal client and app processes behind rtchat's guard.

textual-serve's `Server` gives the static client (xterm.js, its CSS and fonts), the download
route and the download manager; its page, its WebSocket handler and its `serve` are replaced
here: the page by one that fetches nothing from elsewhere (`page.py`), the handler by one that
counts tabs against the session limit and runs each tab's app with its own temporary directory
(`tab.py`), `serve` by one that can bind port 0, serve HTTPS and say the address it bound.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

from rtchat.web.address import Listen
from rtchat.web.guard import KEY_PARAM, WS_PATH, guard
from rtchat.web.page import render_page
from rtchat.web.tab import cells, run_tab

# Only this server's own origin: the browser itself refuses anything the page would fetch elsewhere.
CONTENT_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """The server's TLS context; OSError or ssl.SSLError (said by the caller) when the files will not do."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


def sessions_full_text(limit: int) -> str:
    return (
        f"rtchat web: {limit} tabs already have a session open (the most [web] max_sessions allows).\n"
        "Close one of them and reload this page, or raise max_sessions in the config file.\n"
    )


class WebServer(Server):
    """textual-serve's server with a secret, an Origin check, local assets and a session limit."""

    def __init__(self, argv: list[str], listen: Listen, secret: str, max_sessions: int, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(" ".join(argv), host=listen.host, port=listen.port, title="rtchat")
        self.argv = argv
        self.listen = listen
        self.secret = secret
        self.max_sessions = max_sessions
        self.tls = tls
        self.tabs: set[web.WebSocketResponse] = set()
        self.temp_root = Path(tempfile.mkdtemp(prefix="rtchat-web-"))  # each tab's TMPDIR under it; removed by `run`

    def full(self) -> bool:
        return len(self.tabs) >= self.max_sessions

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[guard(self.secret, self.listen.allowed_hosts(), https=self.tls is not None)])
        app.add_routes([
            web.get("/", self.handle_index),
            web.get(WS_PATH, self.handle_websocket),
            web.get("/download/{key}", self.handle_download),
            web.static("/static", self.statics_path),
        ])
        app.on_shutdown.append(self.close_tabs)
        return app

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        if self.full():
            return web.Response(status=503, text=sessions_full_text(self.max_sessions))
        websocket_url = f"{'wss' if request.secure else 'ws'}://{request.host}{WS_PATH}"
        page = render_page(websocket_url, cells(request.query.get("fontsize"), 16))
        return web.Response(text=page, content_type="text/html", headers={"Content-Security-Policy": CONTENT_POLICY, "Cache-Control": "no-store"})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        if self.full():
            return web.Response(status=503, text=sessions_full_text(self.max_sessions))
        websocket = web.WebSocketResponse(heartbeat=15)
        self.tabs.add(websocket)  # counted before the first await: a flood of upgrades cannot all pass the check
        try:
            await websocket.prepare(request)
            width, height = cells(request.query.get("width"), 80), cells(request.query.get("height"), 24)
            await run_tab(websocket, self.argv, self.temp_root, self.download_manager, width, height)
        finally:
            self.tabs.discard(websocket)
        return websocket

    async def close_tabs(self, app: web.Application) -> None:
        """On shutdown: each tab's socket closes, so its handler stops its app and removes its files."""
        await asyncio.gather(*(tab.close(code=1001, message=b"rtchat web stopped") for tab in list(self.tabs)), return_exceptions=True)

    async def run(self, ready: Callable[[str], None], stopped: asyncio.Event) -> None:
        """Serve until `stopped` is set; `ready` gets the URL to open (key included) once bound."""
        runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None, shutdown_timeout=15)
        try:
            await runner.setup()
            site = web.TCPSite(runner, self.listen.host, self.listen.port, ssl_context=self.tls)
            await site.start()
            port = runner.addresses[0][1]
            self.public_url = self.listen.base_url(port)
            ready(f"{self.public_url}/?{KEY_PARAM}={self.secret}")
            await stopped.wait()
        finally:
            await runner.cleanup()
            shutil.rmtree(self.temp_root, ignore_errors=True)


def serve(server: WebServer, ready: Callable[[str], None]) -> None:
    """Run `server` in the foreground until Ctrl+C or SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format="rtchat web: %(message)s")

    async def main() -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await server.run(ready, stopped)

    asyncio.run(main())

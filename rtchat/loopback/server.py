"""The loopback server: one aiohttp app on a loopback address, a record per model request.

Each wire module registers its own routes through `register(app, exchange)`;
`Exchange` runs the part every wire shares (body, model, faults, prompt cache,
records), so adding a wire format (or a WebSocket route) is one module plus one
line in `WIRE_MODULES`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl

from aiohttp import web

from . import (
    anthropic_messages,
    deepseek_ws,
    gemini,
    gemini_live_ws,
    openai_chat,
    openai_responses,
    realtime_ws,
    responses_ws,
    webrtc_peer,
)
from .exchange import Exchange, LoopbackState
from .records import ConnectionRecord, RequestRecord
from .scripts import MODELS

WIRE_MODULES = (openai_chat, anthropic_messages, gemini, openai_responses)
SOCKET_MODULES = (realtime_ws, gemini_live_ws, webrtc_peer, responses_ws, deepseek_ws)  # WebSocket and WebRTC routes: register(app, state)
SHUTDOWN_TIMEOUT = 0.25  # seconds a closing server waits for streams still running


# ---------------------------------------------------------------- shared routes

STATE_KEY = web.AppKey("loopback_state", LoopbackState)


async def list_models(request: web.Request) -> web.Response:
    """OpenAI's list shape, or Anthropic's when the client sends `anthropic-version`."""
    if "anthropic-version" in request.headers:
        return web.json_response(anthropic_messages.model_list(MODELS))
    return web.json_response(openai_chat.model_list(MODELS))


async def get_stats(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {"records": [record.to_json() for record in state.records], "connections": [c.to_json() for c in state.connections]}
    )


async def clear_stats(request: web.Request) -> web.Response:
    request.app[STATE_KEY].records.clear()
    request.app[STATE_KEY].connections.clear()
    return web.json_response({"records": [], "connections": []})


def build_app(state: LoopbackState) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = state
    exchange = Exchange(state)
    for module in WIRE_MODULES:
        module.register(app, exchange)
    for module in SOCKET_MODULES:
        module.register(app, state)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/loopback/stats", get_stats)
    app.router.add_delete("/loopback/stats", clear_stats)
    return app


# ---------------------------------------------------------------- lifecycle


def require_loopback(host: str) -> None:
    """The loopback server answers without keys, so it must never face a network."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the loopback server only binds loopback addresses, not {host!r}")


class LoopbackServer:
    """A running loopback server; `close()` it when done."""

    def __init__(self, runner: web.AppRunner, state: LoopbackState, host: str, port: int, scheme: str = "http"):
        self._runner = runner
        self._state = state
        self.host = host
        self.port = port
        self.scheme = scheme

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def records(self) -> list[RequestRecord]:
        return self._state.records

    @property
    def connections(self) -> list[ConnectionRecord]:
        return self._state.connections

    @property
    def state(self) -> LoopbackState:
        return self._state

    async def close(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> LoopbackServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_loopback(host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None) -> LoopbackServer:
    """Start listening (port 0 picks a free port) and return once connections are accepted.

    `ssl_context` serves https/wss, for clients that insist on TLS (google-genai's live client).
    """
    require_loopback(host)
    state = LoopbackState()
    runner = web.AppRunner(
        build_app(state),
        handler_cancellation=True,  # a client that leaves cancels its handler at once
        access_log=None,  # never log request lines (Gemini keys may ride in the query)
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
    except BaseException:
        await runner.cleanup()
        raise
    return LoopbackServer(runner, state, host, runner.addresses[0][1], "https" if ssl_context else "http")


def run_forever(host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted (`rtchat serve`)."""

    async def serve() -> None:
        server = await start_loopback(host, port)
        print(f"loopback server on {server.url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.close()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass

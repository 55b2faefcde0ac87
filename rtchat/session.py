"""Runs turns: picks the transport and wire for a target and hands out turns.

A `Session` is long-lived (one per app or `ask` run): it owns the HTTP
connection pools, so later turns reuse the connection, the pools of live
sockets and WebRTC calls, and the in-process loopback server when the
loopback provider is used. Everything else (the turn itself, retries, error
wording, the clock) lives below it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from rtchat.attachments import Attachment, problem_for, socket_problem
from rtchat.catalog import EFFORTS, ModelRef, parse_model_ref
from rtchat.config import Config
from rtchat.conversation import Conversation
from rtchat.errors import ReportedFailure
from rtchat.events import Notice
from rtchat.pricing import price_for
from rtchat.secrets import lookup_key
from rtchat.share import DEFAULT_FPS, Frame, ShareError, ShareRequest, Sharing, limits_for, share_note, share_refusal
from rtchat.target import Target, is_free, is_local
from rtchat.tools.approval import Approver, ConversationTools
from rtchat.tools.registry import DEMO_SERVER, LOOPBACK_PROVIDER, ToolRegistry
from rtchat.tools.runner import ToolSession
from rtchat.turns.base import Turn
from rtchat.turns.refused import RefusedTurn
from rtchat.turns.tool_steps import ToolRunner

if TYPE_CHECKING:
    import httpx

    from rtchat.live import LivePool
    from rtchat.live.connection import LiveConnection
    from rtchat.live.webrtc import WebRTCPool

SaveAlways = Callable[[str, str], None]  # (server, tool): remember "always allow" in the config

PROTOCOLS = ("sse", "websocket", "webrtc")
TOOLS_MODEL = "tools"  # the loopback model that calls tools: the one the demo MCP server is for


def context_warning(target: Target, conversation: Conversation) -> list[Notice]:
    """A clear warning before a request that would not fit the model's context window."""
    window = target.info.context_window
    tokens = conversation.estimated_tokens()
    if window is None or tokens <= window:
        return []
    return [Notice(f"this conversation is about {tokens:,} tokens, more than {target.ref}'s context window of {window:,}; the provider will likely refuse it: start a new conversation (ctrl+k) or trim it", "warning")]


def attachment_problem(attachment: Attachment, target: Target, protocol: str) -> str | None:
    """Why this model, over this protocol, cannot take this file (None when it can): the one
    gate `ask` and the app both ask, before anything is sent or stored."""
    if protocol != "sse":
        from rtchat.live.pool import socket_wire_for  # noqa: PLC0415 - the socket stack loads with the first socket turn

        problem = socket_problem(attachment, socket_wire_for(target, protocol), target.realtime_dialect)
        if problem:
            return problem
    return problem_for(attachment, target.provider.wire, target.info.accepts, target.ref)


class Session:
    """Shared state across turns: config, connection pools, the on-demand loopback server."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.network = config.network
        self._clients: dict[tuple[bool, bool], httpx.AsyncClient] = {}
        self._loopback = None
        self._loopback_lock = asyncio.Lock()
        self._live: LivePool | None = None
        self._calls: WebRTCPool | None = None
        self.wire_log = None  # a rtchat.debuglog.WireLog under --debug
        self._prices = config.prices
        self._tools: ToolRegistry | None = None
        self.sharing: Sharing | None = None  # the screen, camera or file being shared (start_share)
        self._share_unsubscribe: Callable[[], None] | None = None

    def client_for(self, base_url: str) -> httpx.AsyncClient:
        local = is_local(base_url)
        tls = not base_url.lower().startswith("http://")
        client = self._clients.get((local, tls))
        if client is None:
            # No redirects (a key must not follow one), TLS always verified, and no proxy from
            # the environment for loopback addresses. A client that only ever speaks plain HTTP
            # (it follows no redirect to https) has no TLS to verify: skipping the CA bundle
            # saves ~30 ms of `rtchat ask` start-up against a local server.
            import httpx  # noqa: PLC0415 - ~40 ms the app's first frame does not wait for

            client = httpx.AsyncClient(follow_redirects=False, verify=tls, trust_env=not local)
            self._clients[(local, tls)] = client
        return client

    async def loopback_url(self) -> str:
        async with self._loopback_lock:
            if self._loopback is None:
                # aiohttp costs start-up time and only the loopback needs it: loaded on first use.
                from rtchat.loopback import start_loopback  # noqa: PLC0415

                self._loopback = await start_loopback()
            return self._loopback.url

    async def resolve(self, ref: ModelRef | str, base_url: str | None = None) -> Target:
        if isinstance(ref, str):
            ref = parse_model_ref(ref)
        provider = self.config.catalog.provider(ref.provider)
        url = base_url or provider.base_url
        if not url:
            root = await self.loopback_url()
            url = root + "/v1" if provider.wire in ("openai_chat", "openai_responses") else root
        key = lookup_key(provider)
        if self.wire_log is not None:
            self.wire_log.add_secret(key.value)
        self.client_for(url)  # build the client (and its TLS context) now, not inside the first turn's TTFT
        price = price_for(f"{provider.id}/{ref.model}", self._prices, free=is_free(provider.id, url))
        return Target(provider, ref.model, provider.model(ref.model), url.rstrip("/"), key.value, key.source, price)

    def effort_for(self, target: Target, requested: str | None) -> tuple[str | None, list[Notice]]:
        """The effort to send: asked for, else the config's, else the catalogue's default."""
        effort = requested or self.config.efforts.get(target.ref) or target.info.default_effort
        if effort is not None and effort not in EFFORTS:
            return None, [Notice(f"unknown effort {effort!r}; use one of {', '.join(EFFORTS)}", "warning")]
        if requested and requested != "off" and target.info.thinking is False:
            return None, [Notice(f"{target.ref} cannot think; effort {requested} ignored")]
        if target.info.thinking is False:
            return None, []
        return effort, []

    def turn(self, target: Target, conversation: Conversation, effort: str | None = None, protocol: str = "sse", tools: ToolRunner | None = None) -> Turn:
        """A turn over `protocol`; WebSocket and WebRTC turns run on the conversation's persistent
        connection. With `tools`, the model is offered them and its calls run through them."""
        chosen, notices = self.effort_for(target, effort)
        notices += context_warning(target, conversation)
        if protocol == "websocket":
            return self.live_pool().turn(target, conversation, chosen, notices, tools)
        if protocol == "webrtc":
            return self.call_pool().turn(target, conversation, chosen, notices, tools)
        problem = None
        if protocol != "sse":  # never a silent fallback: the user asked for something else
            problem = f"unknown protocol {protocol!r}; use sse, websocket or webrtc"
        elif "sse" not in target.info.protocols:
            offered = ", ".join(target.info.protocols)
            problem = f"{target.ref} offers no SSE API ({offered} only); use --protocol {target.info.protocols[0]}"
        if problem:
            return RefusedTurn(target, conversation, chosen, notices, problem, protocol)
        from rtchat.turns.sse import HttpTurn  # noqa: PLC0415 - with httpx: loaded after the app's first frame

        return HttpTurn(self.client_for(target.base_url), self.network, target, conversation, chosen, notices, self.wire_log, tools)

    def connection_for(self, target: Target, conversation: Conversation, protocol: str) -> LiveConnection | None:
        """The persistent socket or call a turn of `conversation` over `protocol` runs on (None for SSE)."""
        if protocol == "websocket":
            return self.live_pool().connection(target, conversation)
        if protocol == "webrtc":
            return self.call_pool().connection(target, conversation)
        return None

    def live_pool(self) -> LivePool:
        """The persistent sockets, one per conversation and model (`.connection(target, conv).state`)."""
        if self._live is None:
            # websockets (and its proxy support) costs ~20 ms of start-up that an SSE turn never needs.
            from rtchat.live import LivePool  # noqa: PLC0415

            self._live = LivePool(self.network, self.wire_log)
        return self._live

    def call_pool(self) -> WebRTCPool:
        """The WebRTC calls, one per conversation and model (`.connection(target, conv).state`)."""
        if self._calls is None:
            from rtchat.live.webrtc import WebRTCPool  # noqa: PLC0415 - the socket stack, as above; aiortc loads later still

            self._calls = WebRTCPool(self.network, self.client_for, self.config.voice.ice_servers, self.wire_log)
        return self._calls

    def tool_registry(self) -> ToolRegistry:
        """The MCP servers of this session, made on first use (no server starts until a turn
        offers tools); their log lines go to the --debug wire log, header and env values redacted."""
        if self._tools is None:
            for server in self.config.mcp_servers.values():
                for secret in (*server.headers.values(), *server.env.values()):
                    if self.wire_log is not None:
                        self.wire_log.add_secret(secret)
            self._tools = ToolRegistry(self.config.mcp_servers, self.config.tools, log=self._tool_log)
        return self._tools

    def _tool_log(self, text: str) -> None:
        if self.wire_log is not None:
            self.wire_log.write("mcp", text)

    def tool_servers(self, target: Target, protocol: str, choices: ConversationTools) -> list[str]:
        """The servers whose tools a turn to `target` over `protocol` offers: none when the wire
        cannot carry tools (the DeepSeek socket: `carries_tools`), the model is declared to take
        none, or the conversation switched them off. A spoken exchange is "voice"."""
        if choices.off or target.info.tools is False or not self.carries_tools(target, protocol):  # False: the config says it takes none
            return []
        names = self.tool_registry().servers_for(target.provider.id)
        if target.provider.id == LOOPBACK_PROVIDER and target.model.split("@", 1)[0] != TOOLS_MODEL:  # `tools@rate=0` too
            names = [name for name in names if name != DEMO_SERVER]  # echo and lorem never call tools: no demo server started for them
        return [name for name in names if choices.servers is None or name in choices.servers]

    def carries_tools(self, target: Target, protocol: str) -> bool:
        """Whether a turn over `protocol` can take tools: every HTTP wire, Realtime, Live and the
        Responses socket can; the DeepSeek V4 chat socket's frames have no tools."""
        if protocol in ("sse", "voice", "webrtc"):
            return True
        if protocol != "websocket":
            return False
        from rtchat.live.pool import socket_wire_for  # noqa: PLC0415 - the socket stack loads with the first socket turn

        return socket_wire_for(target, protocol) != "deepseek_socket"

    def tool_runner(self, target: Target, protocol: str, approver: Approver, choices: ConversationTools, save_always: SaveAlways | None = None) -> ToolRunner | None:
        """The `tools=` of a turn (`ask` and the app): None when it offers none, so the request
        carries no tools field at all."""
        names = self.tool_servers(target, protocol, choices)
        if not names:
            return None
        # This turn's servers; the conversation's "always" and switched-off tools are shared, so a
        # choice made during the turn holds for the next.
        turn_choices = ConversationTools(set(names), choices.disabled_tools, choices.always)
        return ToolSession(self.tool_registry(), approver, turn_choices, self.config.tools, target.provider.id, save_always=save_always)

    # ---------------------------------------------------------------- sharing (issue 29)

    def share_refusal(self, target: Target, protocol: str) -> str | None:
        """Why frames cannot go to `target` over `protocol`, in one line naming what would (None: they can)."""
        return share_refusal(target, protocol, self._socket_wire(target, protocol))

    def _socket_wire(self, target: Target, protocol: str) -> str | None:
        if protocol not in ("websocket", "webrtc"):
            return None
        from rtchat.live.pool import socket_wire_for  # noqa: PLC0415 - the socket stack loads with the first socket turn

        return socket_wire_for(target, protocol)

    async def start_share(self, request: ShareRequest, target: Target, protocol: str, conversation: Conversation | None = None, fps: float = DEFAULT_FPS) -> Sharing:
        """Start sharing `request` with `target` over `protocol` (any share running is stopped
        first). Over Gemini Live each frame streams into the conversation's open session; every
        other wire takes the latest frame with the next user turn (`frame_for_turn`).
        ShareError (one line) when the model or protocol cannot take frames or the source fails."""
        await self.stop_share()
        refusal = self.share_refusal(target, protocol)
        if refusal is not None:
            raise ShareError(refusal)
        limits = limits_for(target, self._socket_wire(target, protocol), protocol)
        sharing = Sharing(request, fps=fps, max_fps=limits.max_fps, scale=limits.scale, max_bytes=limits.max_bytes)
        await sharing.start()
        sharing.note = share_note(limits, target)  # said once by whoever started it
        self.sharing = sharing
        if limits.delivery == "stream" and conversation is not None:  # Gemini Live: the one streaming wire
            try:
                await self.live_pool().open(target, conversation)  # frames flow from now on, not from the first message
            except ReportedFailure as exc:  # the socket could not open: said as the turn would say it
                await sharing.aclose()
                raise ShareError(exc.error.message) from None
            self._share_unsubscribe = sharing.on_frame(lambda frame: self._stream(sharing, target, conversation, protocol, frame))
            self._stream(sharing, target, conversation, protocol, sharing.latest())
        return sharing

    def _stream(self, sharing: Sharing, target: Target, conversation: Conversation, protocol: str, frame: Frame | None) -> None:
        """One frame into the conversation's Live session when it is open (looked up per frame: the
        session opens with the first message and may be reopened); dropped otherwise."""
        connection = self.connection_for(target, conversation, protocol)
        if frame is None or connection is None or not connection.is_open:
            return

        async def send() -> None:
            if await connection.send_video(frame.jpeg):
                sharing.mark_sent(frame)

        connection.spawn(send())

    @property
    def share_streams(self) -> bool:
        """Whether the running share streams into a Live session (else its frames go with turns)."""
        return self._share_unsubscribe is not None

    def frame_for_turn(self) -> Attachment | None:
        """The latest shared frame for a user turn (as an image attachment), when a share is
        running and its frames go with turns; None otherwise (or when it was sent already)."""
        if self.sharing is None or not self.sharing.running or self.share_streams:
            return None
        return self.sharing.take_for_turn()

    def share_into_voice(self, link) -> Callable[[], None]:
        """Hand the running share to a voice link (`rtchat.voice.links`): a Live link streams
        each frame; a Realtime link takes the latest with each spoken turn. Returns the undo."""
        sharing = self.sharing
        if sharing is None:
            return lambda: None
        if self.share_streams:
            def stream(frame: Frame) -> None:
                if link.send_video(frame.jpeg):
                    sharing.mark_sent(frame)

            return sharing.on_frame(stream)

        def latest() -> str | None:
            frame = sharing.take_for_turn() if sharing.running else None
            return frame.data_url() if frame is not None else None

        link.frame_for_turn = latest
        return lambda: setattr(link, "frame_for_turn", lambda: None)

    async def stop_share(self) -> None:
        """Stop any share (the model, protocol or session changed, or the user said so)."""
        sharing, self.sharing = self.sharing, None
        if self._share_unsubscribe is not None:
            self._share_unsubscribe()
            self._share_unsubscribe = None
        if sharing is not None:
            await sharing.aclose()

    async def aclose(self) -> None:
        await self.stop_share()
        if self._tools is not None:  # first: no server process outlives the session, Ctrl-C included
            tools, self._tools = self._tools, None
            await tools.aclose()
        if self._calls is not None:
            await self._calls.aclose()
            self._calls = None
        if self._live is not None:
            await self._live.aclose()
            self._live = None
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        if self._loopback is not None:
            await self._loopback.close()
            self._loopback = None
        if self.wire_log is not None:
            self.wire_log.close()

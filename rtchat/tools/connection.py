"""One MCP server's connection: started, listed, called and stopped through the official SDK.

A connection lives in one task of its own (the SDK's transports are context managers that must
be entered and left by the same task); calls from other tasks go through its client session.
A stdio server's stderr goes to the debug log line by line; its last line says why it failed.
`mcp` is imported here only when a server starts (it costs start-up time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rtchat.config_rules import McpServer
from rtchat.errors import ConfigFailure
from rtchat.secrets import redact
from rtchat.tools.results import ToolOutcome, cut, result_images, result_text, status_of

STDERR_LINE_LIMIT = 2_000  # a longer stderr line is logged and remembered cut to this
STDERR_SETTLE = 2.0  # seconds a dead server's stderr may take to reach its end after its stdout


def load_sdk() -> None:
    """Import the SDK's client (a second or more of pydantic models): called in a worker thread
    before the first server starts, so the event loop (the app's screen) keeps running meanwhile."""
    import httpx2  # noqa: F401 - deferred: mcp costs start-up time
    import mcp.client.stdio  # noqa: F401
    import mcp.client.streamable_http  # noqa: F401


class ServerState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class McpToolInfo:
    """A tool as the server listed it (its own name, before rtchat names it for the model)."""

    name: str
    description: str
    schema: dict


class ServerConnection:
    """See the module docstring. `problem` says why it failed, in words that follow "failed: "
    (secrets redacted); `problem_line()` is the notice that names the server."""

    def __init__(self, config: McpServer, log: Callable[[str], None]) -> None:
        self.config = config
        self.name = config.name
        self.state = ServerState.STOPPED
        self.problem: str | None = None
        self.tools: tuple[McpToolInfo, ...] = ()
        self._log = log
        self._secrets = tuple(config.headers.values()) + tuple(config.env.values())
        self._session: Any = None
        self._task: asyncio.Task | None = None
        self._stderr_task: asyncio.Task | None = None
        self._relist_task: asyncio.Task | None = None
        self._scope: Any = None  # the anyio cancel scope that stops the connection's task
        self._started = asyncio.Event()  # ready or failed
        self._lost = asyncio.Event()  # a stdio server's stderr ended: the process is gone
        self._stderr_done = asyncio.Event()
        self._last_stderr: str | None = None
        self._garbage: str | None = None  # the last output that was not JSON-RPC
        self._deadline = 0.0
        self._start_timeout = 0.0
        self._reported = False

    @property
    def transport(self) -> str:
        return "http" if self.config.url else "stdio"

    def launch(self, start_timeout: float) -> None:
        import anyio  # deferred with mcp (anyio is its async layer; load_sdk has loaded it)

        self._scope = anyio.CancelScope()  # made here, so a stop before the task runs still ends it at once
        self.state = ServerState.STARTING
        self._start_timeout = start_timeout
        self._deadline = time.monotonic() + start_timeout
        self._task = asyncio.get_running_loop().create_task(self._keep(), name=f"mcp server {self.name}")

    async def wait_started(self) -> None:
        """Wait until the server is ready or failed; past the start deadline it has failed."""
        try:
            await asyncio.wait_for(asyncio.shield(self._started.wait()), max(self._deadline - time.monotonic(), 0.0))
        except TimeoutError:
            if not self._started.is_set():
                self._fail(f"did not start within {self._start_timeout:g} s" + self._clue())
                await self._end_task()

    def problem_line(self) -> str:
        """The failure as one line for the user: "mcp server 'time' exited: <last stderr line>"."""
        return f"mcp server '{self.name}' {self.problem or 'is not running'}"

    def unreported_problem(self) -> str | None:
        """The failure line, the first time it is asked for (so each failure is one notice)."""
        if self.state is ServerState.FAILED and self.problem and not self._reported:
            self._reported = True
            return self.problem_line()
        return None

    async def call(self, tool: str, arguments: dict, timeout: float, limit: int) -> ToolOutcome:
        """Run one call; `CancelledError` (the turn stopped) sends MCP's cancellation on its way out."""
        from mcp import MCPError  # deferred: mcp costs start-up time
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT
        from pydantic import ValidationError

        started = time.perf_counter()

        def ms() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            result = await self._session.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                return ToolOutcome(f"The tool did not answer within {timeout:g} s." + self._clue(stderr=False), True, "timeout", ms())
            if exc.code == CONNECTION_CLOSED:
                elapsed = ms()
                await self._connection_lost()
                return ToolOutcome(self.problem_line(), True, "error", elapsed)
            return ToolOutcome(self._redact(f"The server refused the call: {exc.message}"), True, "error", ms())
        except (RuntimeError, ValueError, ValidationError) as exc:  # a result that breaks the protocol or the tool's own output schema
            return ToolOutcome(self._redact(f"The server's result could not be read: {one_line(exc)}"), True, "error", ms())
        elapsed = ms()
        return ToolOutcome(cut(result_text(result), limit), bool(result.is_error), status_of(result), elapsed, result_images(result))

    async def stop(self) -> None:
        await self._end_task()
        if self._relist_task is not None:
            self._relist_task.cancel()
            await asyncio.gather(self._relist_task, return_exceptions=True)
        if self._stderr_task is not None:
            await self._settle_stderr()  # the process is gone: its stderr ends
            self._stderr_task.cancel()
            await asyncio.gather(self._stderr_task, return_exceptions=True)
        if self.state is not ServerState.FAILED:
            self.state = ServerState.STOPPED

    # --- the connection's own task ---

    async def _keep(self) -> None:
        try:
            with self._scope:
                async with AsyncExitStack() as stack:
                    session = await self._open(stack)
                    await session.initialize()
                    self.tools = await list_tools(session)
                    self._session = session
                    self.state = ServerState.READY
                    self._started.set()
                    waited = self._start_timeout - (self._deadline - time.monotonic())
                    self._log(f"mcp {self.name}: ready in {waited * 1000:.0f} ms, {len(self.tools)} tools: {', '.join(tool.name for tool in self.tools)}")
                    await self._lost.wait()  # until the process is gone, or the scope is cancelled (a stop)
                if self.state is ServerState.READY:
                    self._fail(self._exit_words())
        except Exception as exc:  # noqa: BLE001 - whatever a server or its transport raised is one line for the user
            if self.state is not ServerState.FAILED:
                await self._settle_stderr()
                self._fail(self._words_for(exc))
        finally:
            self._session = None
            self._started.set()

    async def _open(self, stack: AsyncExitStack) -> Any:
        from mcp import ClientSession  # deferred: mcp costs start-up time

        if self.config.url:
            import httpx2  # deferred with mcp (its HTTP client)
            from mcp.client.streamable_http import streamable_http_client

            client = await stack.enter_async_context(httpx2.AsyncClient(headers=dict(self.config.headers), timeout=httpx2.Timeout(30.0, read=300.0)))
            read, write = await stack.enter_async_context(streamable_http_client(self.config.url, http_client=client))
            self._stderr_done.set()
        else:
            read, write = await self._open_stdio(stack)
        return await stack.enter_async_context(ClientSession(read, write, logging_callback=self._server_log, message_handler=self._message))

    async def _open_stdio(self, stack: AsyncExitStack) -> Any:
        from mcp.client.stdio import StdioServerParameters, stdio_client  # deferred: mcp costs start-up time

        if not self.config.command:
            raise ServerConfigProblem("has neither a command nor a url")
        command, *args = self.config.command
        params = StdioServerParameters(command=command, args=args, env=dict(self.config.env) or None, cwd=self.config.cwd, encoding_error_handler="replace")
        read_fd, write_fd = os.pipe()
        errlog = os.fdopen(write_fd, "w")
        try:
            await self._read_stderr(read_fd)
            streams = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        finally:
            errlog.close()  # the server holds its own copy; ours would keep the pipe from ending
        return streams

    async def _read_stderr(self, read_fd: int) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**20)
        pipe = os.fdopen(read_fd, "rb", buffering=0)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)

        async def pump() -> None:
            buffer = b""
            try:
                while chunk := await reader.read(65536):
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    if len(buffer) > STDERR_LINE_LIMIT:
                        lines.append(buffer)
                        buffer = b""
                    for line in lines:
                        self._stderr_line(line)
                if buffer:
                    self._stderr_line(buffer)
            finally:
                self._stderr_done.set()
                pipe.close()
                if self.state is ServerState.READY:
                    self._lost.set()

        self._stderr_task = loop.create_task(pump(), name=f"mcp server {self.name} stderr")

    def _stderr_line(self, raw: bytes) -> None:
        line = self._redact(raw.decode("utf-8", "replace").rstrip()[:STDERR_LINE_LIMIT])
        if line.strip():
            self._last_stderr = line.strip()
            self._log(f"mcp {self.name} stderr: {line}")

    async def _server_log(self, params: Any) -> None:
        self._log(self._redact(f"mcp {self.name} log {params.level}: {params.data}"))

    async def _message(self, message: Any) -> None:
        if isinstance(message, Exception):  # output on the protocol stream that is not JSON-RPC
            self._garbage = one_line(message)[:200]
            self._log(self._redact(f"mcp {self.name}: not JSON-RPC: {one_line(message)[:STDERR_LINE_LIMIT]}"))
        elif getattr(message, "method", None) == "notifications/tools/list_changed" and self._session is not None:
            self._relist_task = asyncio.get_running_loop().create_task(self._relist(self._session))  # not awaited here: the read loop delivers the answer

    async def _relist(self, session: Any) -> None:
        """The server said its tools changed: the next offer has the new list."""
        try:
            self.tools = await list_tools(session)
        except Exception as exc:  # noqa: BLE001 - the old list stays; the log says why
            self._log(self._redact(f"mcp {self.name}: listing the changed tools failed: {one_line(exc)}"))
            return
        self._log(f"mcp {self.name}: tools changed, {len(self.tools)} tools: {', '.join(tool.name for tool in self.tools)}")

    # --- failures in words ---

    async def _connection_lost(self) -> None:
        await self._settle_stderr()
        if self.state is ServerState.READY:
            self._fail(self._exit_words())
        self._lost.set()

    async def _settle_stderr(self) -> None:
        try:
            await asyncio.wait_for(self._stderr_done.wait(), STDERR_SETTLE)
        except TimeoutError:
            pass

    async def _end_task(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def _fail(self, words: str) -> None:
        if self.state is ServerState.FAILED:
            return  # the first explanation is the one that counts
        self.state = ServerState.FAILED
        self.problem = self._redact(words)
        self._log(self.problem_line())
        self._started.set()

    def _exit_words(self) -> str:
        if self.transport == "http":
            return "closed the connection"
        return f"exited: {self._last_stderr}" if self._last_stderr else "exited (nothing on stderr)"

    def _words_for(self, exc: BaseException) -> str:
        from mcp import MCPError  # deferred: mcp costs start-up time
        from mcp.types import CONNECTION_CLOSED

        exc = first_leaf(exc)
        if isinstance(exc, ServerConfigProblem):
            return exc.message
        if isinstance(exc, OSError) and self.transport == "stdio" and self._session is None and self._last_stderr is None:
            return f"could not start {self.config.command[0]!r}: {exc.strerror or one_line(exc)}"
        if isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED and self.transport == "stdio":
            return self._exit_words()
        where = f" at {self.config.url}" if self.config.url else ""
        return f"failed{where}: {one_line(exc)}" + self._clue()

    def _clue(self, stderr: bool = True) -> str:
        """What the server last said that may explain a failure: its stderr, or stdout that was not JSON-RPC."""
        if stderr and self._last_stderr:
            return f": {self._last_stderr}"
        if self._garbage:
            return f" (it wrote output that is not JSON-RPC: {self._garbage})"
        return ""

    def _redact(self, text: str) -> str:
        return redact(text, *self._secrets)


class ServerConfigProblem(ConfigFailure):
    """A server entry rtchat cannot start as written."""


async def list_tools(session: Any) -> tuple[McpToolInfo, ...]:
    """Every tool the server lists, page by page."""
    from mcp.types import PaginatedRequestParams  # deferred: mcp costs start-up time

    tools: list[McpToolInfo] = []
    cursor = None
    for _ in range(100):  # a server that pages forever still ends
        listing = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        for tool in listing.tools:
            schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
            tools.append(McpToolInfo(tool.name, tool.description or tool.title or "", {"type": "object", "properties": {}} | schema))
        cursor = listing.next_cursor
        if not cursor:
            break
    return tuple(tools)


def first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "…"


class SdkLogBridge(logging.Handler):
    """The SDK's own log records (a line it could not parse, a session it could not end) go to
    the registries' debug logs, never to the terminal through Python's last-resort handler."""

    def __init__(self) -> None:
        super().__init__()
        self.sinks: list[Callable[[str], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"mcp sdk {record.levelname.lower()}: {record.getMessage()}"
        for sink in list(self.sinks):
            sink(line)


def route_sdk_logs(sink: Callable[[str], None]) -> Callable[[], None]:
    """Send the `mcp` logger's records to `sink` (and not further up); returns the undo."""
    logger = logging.getLogger("mcp")
    bridge = next((handler for handler in logger.handlers if isinstance(handler, SdkLogBridge)), None)
    if bridge is None:
        bridge = SdkLogBridge()
        logger.addHandler(bridge)
        logger.propagate = False
    bridge.sinks.append(sink)
    return lambda: bridge.sinks.remove(sink) if sink in bridge.sinks else None

"""Real MCP servers for the tool-layer tests, built with the official SDK's own server.

Run as a script (`python tests/support/mcp_servers.py MODE`) it is a stdio server; `http_server()`
serves the same tools over streamable HTTP on 127.0.0.1 (port 0) in the test's own event loop.
Modes are the faults the registry must survive: `hang` never answers initialize, `banner` prints
to stdout before the protocol starts; `http` serves streamable HTTP from a process of its own
(`http_process`: a test kills it mid-call; `http_script`: a module's tests share it), and
`demo-http` serves rtchat's demo server's tools that way. The tools themselves provide the
rest: `die` exits mid-call, `garbage` answers with a line that is not JSON, `huge` returns 2 MB,
`wait` waits until cancelled.
What a server sees (a call waiting, a cancellation) it says on stderr, which reaches the
registry's log: a test awaits that line instead of sleeping.
"""

import asyncio
import base64
import contextlib
import os
import select
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rtchat.config_rules import McpServer

SCRIPT = Path(__file__).resolve()
WAIT_STARTED = "wait: started"
WAIT_CANCELLED = "wait: cancelled by the client"
DIED = "boom: the database went away"
HUGE_CHARS = 2_000_000  # past the 64 KiB and 1 MiB line limits a stream reader may have
PHOTO_TEXT = "a grey square"
PROTOCOL_FD = 1  # the protocol's stdout, kept by `main` (the SDK points fd 1 at stderr while it serves)


def stdio_config(name: str, mode: str = "normal", **fields) -> McpServer:
    """A config entry that runs this file as a stdio server in `mode`."""
    return McpServer(name=name, command=(sys.executable, str(SCRIPT), mode), **fields)


def build(name: str = "test"):
    """The SDK server with the test tools."""
    import anyio
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import CallToolResult, ImageContent

    server = MCPServer(name, log_level="WARNING")

    @server.tool()
    def echo(text: str) -> str:
        """Say `text` back."""
        return text

    @server.tool(name="files.read")
    def files_read(path: str) -> str:
        """A name with a dot, which no provider accepts as it is."""
        return f"contents of {path}"

    @server.tool()
    def fail(reason: str = "no such record") -> str:
        """Fail the way a tool does: an error result the model can read."""
        raise ToolError(reason)

    @server.tool()
    def huge() -> str:
        """Two megabytes of text, on one line of the protocol."""
        return "x" * HUGE_CHARS

    @server.tool()
    def picture():  # no annotation: the SDK passes a CallToolResult through as it is
        """An image and a line of text."""
        png = base64.b64encode(b"\x89PNG" + bytes(12 * 1024 - 4)).decode()
        return CallToolResult(content=[ImageContent(type="image", data=png, mime_type="image/png")])

    @server.tool()
    def photo():
        """Text, a real PNG, a second PNG as an embedded resource, and a sound (which stays a line)."""
        from mcp.types import AudioContent, BlobResourceContents, EmbeddedResource, TextContent

        from tests.support.attachments import png

        def encoded(data: bytes) -> str:
            return base64.b64encode(data).decode()

        return CallToolResult(
            content=[
                TextContent(type="text", text=PHOTO_TEXT),
                ImageContent(type="image", data=encoded(png()), mime_type="image/png"),
                EmbeddedResource(type="resource", resource=BlobResourceContents(uri="file:///small.png", mime_type="image/png", blob=encoded(png(8, 8)))),
                AudioContent(type="audio", data=encoded(b"RIFF" + bytes(40)), mime_type="audio/wav"),
            ]
        )

    @server.tool()
    def numbers():
        """Structured content and no text."""
        return CallToolResult(content=[], structured_content={"sum": 3, "items": [1, 2]})

    @server.tool()
    def pid() -> str:
        """The server's process id."""
        return str(os.getpid())

    @server.tool()
    async def wait() -> str:
        """Wait until the client cancels the call."""
        print(WAIT_STARTED, file=sys.stderr, flush=True)
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            print(WAIT_CANCELLED, file=sys.stderr, flush=True)
            raise
        return "never"

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Add a tool named `extra` and tell the client the list changed."""
        server.add_tool(lambda: "extra here", name="extra", description="Added while running.")
        await ctx.session.send_tool_list_changed()
        return "grown"

    @server.tool()
    def die() -> str:
        """Exit in the middle of the call."""
        print(DIED, file=sys.stderr, flush=True)
        os._exit(3)

    @server.tool()
    async def garbage() -> str:
        """Answer with a line that is not JSON, then nothing."""
        os.write(PROTOCOL_FD, b"{this is not json\n")
        await anyio.sleep_forever()
        return "never"

    return server


@dataclass
class HttpServer:
    url: str
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # every request body, as it arrived
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set at each body; a test clears it to wait for the next

    async def saw(self, text: str, within: float = 60.0) -> None:
        """Wait until a request body holding `text` has arrived (the deadline only stops a hang)."""

        async def wait() -> None:
            while not any(text.encode() in body for body in self.bodies):
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(wait(), within)


@contextlib.asynccontextmanager
async def http_server(name: str = "test") -> AsyncIterator[HttpServer]:
    """The SDK's streamable HTTP app under uvicorn on 127.0.0.1, an ephemeral port, this event loop."""
    import uvicorn

    app = build(name).streamable_http_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    served = HttpServer(f"http://127.0.0.1:{port}/mcp")

    async def recording(scope, receive, send):  # the headers and body of each request, as the server saw them
        if scope["type"] != "http":
            return await app(scope, receive, send)
        served.headers_seen.append({key.decode(): value.decode() for key, value in scope["headers"]})
        body = bytearray()

        async def receive_recorded():
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    served.bodies.append(bytes(body))
                    served.arrived.set()
            return message

        await app(scope, receive_recorded, send)

    server = uvicorn.Server(uvicorn.Config(recording, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)  # uvicorn offers no event for "listening"
        yield served
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class HttpProcess:
    """The streamable HTTP server in a process of its own (`http_process`), so a test can kill it."""

    url: str
    process: asyncio.subprocess.Process
    stderr: list[str] = field(default_factory=list)  # its lines so far, as `said` read them

    async def said(self, text: str, within: float = 60.0) -> None:
        """Wait until the server's stderr has a line holding `text` (the deadline only stops a hang)."""

        async def wait() -> None:
            assert self.process.stderr is not None
            while True:
                line = (await self.process.stderr.readline()).decode()
                self.stderr.append(line)
                if text in line:
                    return
                assert line, f"the server ended before saying {text!r}: {self.stderr}"

        await asyncio.wait_for(wait(), within)


@contextlib.asynccontextmanager
async def http_process() -> AsyncIterator[HttpProcess]:
    """This file's server over streamable HTTP, in a child process on 127.0.0.1 (an ephemeral
    port, which it prints first); killed on the way out if still running."""
    process = await asyncio.create_subprocess_exec(sys.executable, str(SCRIPT), "http", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield HttpProcess(url, process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@contextlib.contextmanager
def demo_over_http() -> Iterator[str]:
    """rtchat's demo server's tools over streamable HTTP in a process of their own: its URL. For a
    module's tests to share where what they test is the calls, not the built-in server's start."""
    with http_script(SCRIPT, "demo-http") as url:
        yield url


def serve_http(app) -> None:
    """`http` mode of a server script: print the URL, then serve the SDK's streamable HTTP `app`
    on 127.0.0.1 (an ephemeral port) until killed."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # before the URL is out: a client that comes early waits in the backlog, not refused
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/mcp", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    asyncio.run(server.serve(sockets=[sock]))


@contextlib.contextmanager
def http_script(script: Path | str, *args: str) -> Iterator[str]:
    """A server script run in its `http` mode (`python SCRIPT ARGS`, which prints its URL, then
    serves) as a child process: its URL, for the tests of a module to share; killed at the end."""
    process = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)  # the deadline only stops a hang
        assert ready, f"{script} printed no URL within 60 s"
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"{script} printed no URL (exit {process.poll()})"
        yield url
    finally:
        process.kill()
        process.wait()


def main(mode: str) -> None:
    global PROTOCOL_FD
    if mode == "http":
        serve_http(build("test-http").streamable_http_app())
        return
    if mode == "demo-http":  # rtchat's own demo server, its tools as they are, over streamable HTTP
        from rtchat.tools.demo_server import build_server

        serve_http(build_server().streamable_http_app())
        return
    PROTOCOL_FD = os.dup(1)
    if mode == "hang":  # reads the initialize request and never answers
        sys.stdin.read()
        return
    if mode == "banner":
        print("Welcome to the test server v1.0 (this line is not JSON-RPC)", flush=True)
    build(f"test-{mode}").run("stdio")


if __name__ == "__main__":
    sys.path.insert(0, str(SCRIPT.parents[2]))  # run as a script: `tests.support` for the photo tool
    main(sys.argv[1] if len(sys.argv) > 1 else "normal")

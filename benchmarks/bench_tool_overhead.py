"""Tool-call overhead: rtchat's own time from a call's last argument byte to the follow-up request.

    python benchmarks/bench_tool_overhead.py [--calls 30] [--rounds 5] [--json OUT]

Each turn asks `loopback/tools@rate=0` (the loopback server in its own process) to call the demo
MCP server's `calculate`; the call is approved by the `--approve-tools` approver (no one waits on
a key). Timed on the client's own HTTP transport: from the arrival of the response chunk holding
the call's last argument bytes to the follow-up request handed to the transport, minus the tool's
own time (`ToolCallResult.ms`, the MCP round trip to the server process). What remains is rtchat:
the rest of the step's stream, the fold, the approval, the runner and registry, the result's
shaping and the next request's building. Target: p50 under 5 ms.

The floor, measured in the same run, turn for turn alternately: the same loop with a no-op
in-process runner (offers the same tool, answers at once, no MCP), i.e. the turn's own cost of a
tool step. Each round gives p50/p95 of both; the report is the median over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import describe, isolate_from_the_user, loopback_process, print_tool_overhead, summarize_rounds, write_json  # noqa: E402
from rtchat.commands.ask_approval import AllowAll  # noqa: E402
from rtchat.config import load_config  # noqa: E402
from rtchat.conversation import Conversation, ToolCall, ToolSpec  # noqa: E402
from rtchat.events import Error, ToolCallRequest, ToolCallResult  # noqa: E402
from rtchat.session import Session  # noqa: E402
from rtchat.tools.approval import ConversationTools  # noqa: E402
from rtchat.turns.tool_steps import Put, ToolRunner  # noqa: E402

MODEL = "loopback/tools@rate=0"
PROMPT = "calculate(expression=6*7)"
TARGET_MS = 5.0


class TimedStream(httpx.AsyncByteStream):
    """A response body that notes when the last chunk holding call arguments arrived."""

    def __init__(self, inner: httpx.AsyncByteStream, marks: TimedTransport) -> None:
        self.inner, self.marks = inner, marks

    async def __aiter__(self):
        async for chunk in self.inner:
            if b'"arguments"' in chunk:  # Chat Completions: delta.tool_calls[].function.arguments
                self.marks.last_arguments = time.perf_counter()
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class TimedTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, noting when each request is handed to it and when arguments arrive."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.last_arguments: float | None = None
        self.requests: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(time.perf_counter())
        response = await self.inner.handle_async_request(request)
        return httpx.Response(response.status_code, headers=response.headers, stream=TimedStream(response.stream, self), extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TimedSession(Session):
    """A session whose HTTP client runs on the timed transport (one client: the loopback's)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.transport = TimedTransport()
        self._timed = httpx.AsyncClient(transport=self.transport, follow_redirects=False, trust_env=False)

    def client_for(self, base_url: str) -> httpx.AsyncClient:
        return self._timed

    async def aclose(self) -> None:
        await self._timed.aclose()
        await super().aclose()


class NoopRunner:
    """The floor: offers the demo's `calculate` and answers every call at once, in process."""

    max_steps = 10

    def __init__(self, spec: ToolSpec) -> None:
        self.spec = spec

    async def offer(self, put: Put) -> tuple[ToolSpec, ...]:
        return (self.spec,)

    async def run(self, calls: Sequence[ToolCall], put: Put) -> None:
        for call in calls:
            put(ToolCallRequest(call.id, call.name, "demo", call.arguments))
            put(ToolCallResult(call.id, call.name, "42", False, 0.0, "demo", "ok"))


async def one_turn(session: TimedSession, target, runner: ToolRunner) -> float:
    """rtchat's milliseconds from the call's last argument bytes to the follow-up request, less the tool's."""
    transport = session.transport
    transport.requests.clear()
    transport.last_arguments = None
    conversation = Conversation()
    conversation.add_user(PROMPT)
    tool_ms = 0.0
    results = 0
    async for event in session.turn(target, conversation, tools=runner).events():
        if isinstance(event, ToolCallResult):
            results += 1
            tool_ms += event.ms or 0.0
            if event.status != "ok":
                raise RuntimeError(f"the call did not run: {event.status}: {event.output}")
        elif isinstance(event, Error):
            raise RuntimeError(event.message)
    if results != 1 or len(transport.requests) != 2 or transport.last_arguments is None:
        raise RuntimeError(f"expected one call and one follow-up, got {results} results and {len(transport.requests)} requests")
    return (transport.requests[1] - transport.last_arguments) * 1000 - tool_ms


async def measure(url: str, calls: int, rounds: int) -> dict:
    session = TimedSession(load_config())
    try:
        target = await session.resolve(MODEL, url + "/v1")
        mcp = session.tool_runner(target, "sse", AllowAll(), ConversationTools())
        if mcp is None:
            raise RuntimeError("no tools for loopback/tools: is [tools] demo off?")
        specs = await mcp.offer(lambda event: None)  # starts the demo server: not part of any turn timed
        noop = NoopRunner(next(spec for spec in specs if spec.name == "calculate"))
        for _ in range(3):  # warm-up: imports, the connection, the server's first call
            await one_turn(session, target, mcp)
            await one_turn(session, target, noop)
        per_round: dict[str, list[dict]] = {"mcp": [], "floor": []}
        for _ in range(rounds):
            samples: dict[str, list[float]] = {"mcp": [], "floor": []}
            for _ in range(calls):  # alternating, so drift hits both alike
                samples["mcp"].append(await one_turn(session, target, mcp))
                samples["floor"].append(await one_turn(session, target, noop))
            for name, values in samples.items():
                per_round[name].append(describe(values))
    finally:
        await session.aclose()
    return summarize_rounds(per_round, calls, TARGET_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30, help="timed turns of each kind per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    isolate_from_the_user()
    with loopback_process() as url:
        summary = asyncio.run(measure(url, args.calls, args.rounds))
    print_tool_overhead({"sse": summary}, args.rounds, args.calls)
    write_json(args.json, summary)


if __name__ == "__main__":
    main()

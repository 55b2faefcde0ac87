"""Tool-call overhead in a spoken exchange: rtchat's time from a call's last arguments to its
`function_call_output` on the socket, over the Realtime WebSocket and a WebRTC data channel.

    python benchmarks/bench_socket_tool_overhead.py [--calls 20] [--rounds 3] [--json OUT]

Each exchange speaks half a second of sound to `loopback/tools@rate=0` (the loopback server in its
own process) through a voice session (text answers, so no playback tail is timed); the model calls
the first tool offered (the demo MCP server's `time_now`), approved by `--approve-tools`'s
approver. Timed in the client: from the link handing the session the call's last argument
fragment (decoded) to the outputs and `response.create` handed to the connection's writer, minus
the tool's own time (`ToolCallResult.ms`, the MCP round trip). What remains is rtchat: the rest of
the response, the fold, the approval, the runner and registry, the result's shaping and framing.
Target: p50 under 5 ms.

The floor, in the same run, exchange for exchange alternately: the same session kind with a
no-op in-process runner (offers the same tool, answers at once). Each round gives p50/p95 of
both; the report is the median over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import describe, isolate_from_the_user, loopback_process, print_tool_overhead, summarize_rounds, write_json  # noqa: E402
from benchmarks.bench_tool_overhead import NoopRunner  # noqa: E402  (the same floor as over HTTP)
from rtchat.audio.capture import Capture  # noqa: E402
from rtchat.audio.playback import ClockSpeaker  # noqa: E402
from rtchat.audio.sources import ArraySource  # noqa: E402
from rtchat.commands.ask_approval import AllowAll  # noqa: E402
from rtchat.config import load_config  # noqa: E402
from rtchat.events import Done, Error, ToolCallDelta, ToolCallResult  # noqa: E402
from rtchat.session import Session  # noqa: E402
from rtchat.tools.approval import ConversationTools  # noqa: E402
from rtchat.voice.links import link_for  # noqa: E402
from rtchat.voice.session import VoiceSession  # noqa: E402

MODEL = "loopback/tools@rate=0"
TARGET_MS = 5.0
RATE = 48000
SPEECH = (0.3 * np.sin(2 * np.pi * 220 * np.arange(RATE // 2) / RATE)).astype(np.float32)  # half a second, well above the speech threshold


class TimedVoice:
    """A voice session whose link notes the last argument fragment and the outputs' hand-over."""

    def __init__(self, session: Session, target, protocol: str, runner) -> None:
        link = link_for(target, protocol, session.config.voice, session.client_for(target.base_url), session.network)
        self.voice = VoiceSession(link, Capture(ArraySource(SPEECH, RATE)), ClockSpeaker, modalities=("text",), transcribe=False, tools=runner)
        self.last_arguments: float | None = None
        self.outputs_sent: float | None = None
        decoded, send = link.on_event, link.send_tool_results

        def on_event(event) -> None:
            if isinstance(event, ToolCallDelta) and event.arguments:
                self.last_arguments = time.perf_counter()
            decoded(event)

        def send_tool_results(results) -> None:
            send(results)
            self.outputs_sent = time.perf_counter()

        link.on_event, link.send_tool_results = on_event, send_tool_results

    async def exchange(self) -> float:
        """One spoken exchange with one call: rtchat's milliseconds, less the tool's."""
        voice = self.voice
        self.last_arguments = self.outputs_sent = None
        voice.capture.stop()
        voice.capture.source = source = ArraySource(SPEECH, RATE)
        await voice.start_talking()
        voice.capture.start()
        await source.finished.wait()
        await voice.stop_talking()
        tool_ms, results = 0.0, 0
        async for event in voice.events():
            if isinstance(event, ToolCallResult):
                results += 1
                tool_ms += event.ms or 0.0
                if event.status != "ok":
                    raise RuntimeError(f"the call did not run: {event.status}: {event.output}")
            elif isinstance(event, Error):
                raise RuntimeError(event.message)
            elif isinstance(event, Done):
                break
        if results != 1 or self.last_arguments is None or self.outputs_sent is None:
            raise RuntimeError(f"expected one call and its output, got {results} results")
        return (self.outputs_sent - self.last_arguments) * 1000 - tool_ms


async def measure(url: str, protocol: str, calls: int, rounds: int) -> dict:
    session = Session(load_config())
    voices: list[TimedVoice] = []
    try:
        target = await session.resolve(MODEL, url + "/v1")
        mcp = session.tool_runner(target, "voice", AllowAll(), ConversationTools())
        if mcp is None:
            raise RuntimeError("no tools for loopback/tools: is [tools] demo off?")
        specs = await mcp.offer(lambda event: None)  # starts the demo server: not part of any exchange timed
        kinds = {"mcp": TimedVoice(session, target, protocol, mcp), "floor": TimedVoice(session, target, protocol, NoopRunner(specs[0]))}
        voices = list(kinds.values())
        for timed in voices:
            await timed.voice.start(open_microphone=False)
        for _ in range(3):  # warm-up: the connections, the server's first call
            for timed in voices:
                await timed.exchange()
        per_round: dict[str, list[dict]] = {name: [] for name in kinds}
        for _ in range(rounds):
            samples: dict[str, list[float]] = {name: [] for name in kinds}
            for _ in range(calls):  # alternating, so drift hits both alike
                for name, timed in kinds.items():
                    samples[name].append(await timed.exchange())
            for name, values in samples.items():
                per_round[name].append(describe(values))
    finally:
        for timed in voices:
            await timed.voice.close()
        await session.aclose()
    return summarize_rounds(per_round, calls, TARGET_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20, help="timed exchanges of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--protocols", default="websocket,webrtc")
    parser.add_argument("--json")
    args = parser.parse_args()
    isolate_from_the_user()
    results = {}
    with loopback_process() as url:
        for protocol in args.protocols.split(","):
            results[protocol] = asyncio.run(measure(url, protocol, args.calls, args.rounds))
    print_tool_overhead(results, args.rounds, args.calls)
    write_json(args.json, results)


if __name__ == "__main__":
    main()

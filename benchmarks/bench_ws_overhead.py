"""Time to first token over WebSocket: rtchat's client path vs a bare `websockets` loop.

    python benchmarks/bench_ws_overhead.py [--runs 30] [--json OUT]

The WebSocket twin of bench_ttft.py: both open a new socket to the loopback's
OpenAI Realtime endpoint (`/v1/realtime`, server in its own process), send one
text message and time the first text delta, alternating turn by turn. rtchat
should add < 2 ms. Until `Session.turn` takes `protocol=...` this checkout has
no WebSocket client path, and the script says so and writes a skip record.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import describe, loopback_process, write_json  # noqa: E402
from rtchat.bench.protocols import turn_accepts_protocol  # noqa: E402
from rtchat.config import load_config  # noqa: E402
from rtchat.conversation import Conversation  # noqa: E402
from rtchat.events import Error, TextDelta  # noqa: E402
from rtchat.session import Session  # noqa: E402

MODEL = "echo@rate=0"
TARGET_OVERHEAD_MS = 2.0


async def bare_ttft(url: str) -> float:
    """Connect, ask for text, wait for the first text delta: the least a client can do."""
    import websockets

    ws_url = url.replace("http://", "ws://") + f"/v1/realtime?model={MODEL}"
    start = time.perf_counter()
    async with websockets.connect(ws_url) as socket:
        await socket.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}))
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ping"}]}
        await socket.send(json.dumps({"type": "conversation.item.create", "item": item}))
        await socket.send(json.dumps({"type": "response.create"}))
        async for frame in socket:
            kind = json.loads(frame).get("type", "")
            if kind == "response.output_text.delta":
                return (time.perf_counter() - start) * 1000
            if kind == "error":
                raise RuntimeError(f"loopback error: {frame}")
    raise RuntimeError("no token")


async def rtchat_ttft(url: str) -> float:
    session = Session(load_config())  # a new session: a new socket, as the bare loop has
    try:
        target = await session.resolve(f"loopback/{MODEL}", url + "/v1")
        conversation = Conversation()
        conversation.add_user("ping")
        start = time.perf_counter()
        turn = session.turn(target, conversation, protocol="websocket")
        async for event in turn.events():
            if isinstance(event, TextDelta) and event.text:
                elapsed = (time.perf_counter() - start) * 1000
                turn.cancel()
                return elapsed
            if isinstance(event, Error):
                raise RuntimeError(event.message)
        raise RuntimeError("no token")
    finally:
        await session.aclose()


async def measure(url: str, runs: int) -> dict:
    samples: dict[str, list[float]] = {"bare_ws_cold": [], "rtchat_ws_cold": []}
    await bare_ttft(url)  # warm-up: imports and first-connection costs on both sides
    await rtchat_ttft(url)
    for _ in range(runs):
        samples["bare_ws_cold"].append(await bare_ttft(url))
        samples["rtchat_ws_cold"].append(await rtchat_ttft(url))
    return {name: describe(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json")
    args = parser.parse_args()
    if not turn_accepts_protocol(Session):
        note = "skipped: Session.turn has no `protocol` parameter in this checkout yet (no WebSocket client path to measure)"
        print(note)
        write_json(args.json, {"skipped": note})
        return
    with loopback_process() as url:
        summary = asyncio.run(measure(url, args.runs))
    overhead = round(summary["rtchat_ws_cold"]["median"] - summary["bare_ws_cold"]["median"], 3)
    summary["overhead_ws_cold_ms"] = overhead
    print(f"{'path':20} {'median ms':>10} {'p95 ms':>8} {'min':>7} {'max':>7}")
    for name, stats in summary.items():
        if isinstance(stats, dict):
            print(f"{name:20} {stats['median']:10.2f} {stats['p95']:8.2f} {stats['min']:7.2f} {stats['max']:7.2f}")
    verdict = "within" if overhead < TARGET_OVERHEAD_MS else "OVER"
    print(f"rtchat overhead on WebSocket TTFT: {overhead:+.2f} ms ({verdict} the {TARGET_OVERHEAD_MS:g} ms target)")
    write_json(args.json, summary)


if __name__ == "__main__":
    main()

"""Interrupt latency: from `cancel()` (what Ctrl-C / SIGINT calls) to the server knowing.

Over SSE the server knows when it sees the HTTP stream close; over WebSocket
when `response.cancel` arrives (and the stream stops). Against `rtchat serve`
in its own process, `lorem` at 200 tok/s, cancelled after N tokens.

    python -m benchmarks.bench_interrupt [--runs 30] [--after 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import run_per_protocol, describe, write_json


async def measure(url: str, protocol: str, runs: int, after: int) -> dict:
    from rtchat.config import load_config
    from rtchat.conversation import Conversation
    from rtchat.events import TextDelta
    from rtchat.session import Session

    session = Session(load_config())
    target = await session.resolve("loopback/lorem@rate=200", url + "/v1")
    samples, stops = [], []
    try:
        async with httpx.AsyncClient() as stats:
            for _ in range(runs):
                conversation = Conversation()
                conversation.add_user("write")
                turn = session.turn(target, conversation, protocol=protocol)
                count = 0
                wall_at_cancel = None
                async for event in turn.events():
                    if isinstance(event, TextDelta):
                        count += 1
                        if count == after:
                            wall_at_cancel = time.monotonic()  # same clock as the server's records
                            turn.cancel()
                await asyncio.sleep(0.05)
                record = (await stats.get(url + "/loopback/stats")).json()["records"][-1]
                seen = record["cancel_received"] or record["ended"]
                samples.append((seen - wall_at_cancel) * 1000)
                stops.append((record["ended"] - wall_at_cancel) * 1000)
    finally:
        await session.aclose()
    return {"server_saw_cancel_ms": describe(samples), "stream_stopped_ms": describe(stops)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--after", type=int, default=20)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = run_per_protocol(measure, args.runs, args.after)
    write_json(args.json, results)


if __name__ == "__main__":
    main()

"""Time to first token: rtchat's client path vs a bare httpx SSE loop, same loopback server.

    python benchmarks/bench_ttft.py [--runs 40] [--json OUT]

Both read `loopback/echo@rate=0` (first token immediately) from a server in its
own process, alternating turn by turn so drift hits both alike. "warm" reuses
the connection, "cold" opens a new one each turn. Also times `rtchat ask` as a
whole process (Python start-up included) to its first byte on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

import httpx

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from benchmarks._common import REPO, describe, loopback_process, write_json  # noqa: E402
from rtchat.config import load_config  # noqa: E402
from rtchat.conversation import Conversation  # noqa: E402
from rtchat.events import TextDelta, ThinkingDelta  # noqa: E402
from rtchat.session import Session  # noqa: E402

MODEL = "echo@rate=0"


async def bare_ttft(client: httpx.AsyncClient, url: str) -> float:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "ping"}], "stream": True}
    start = time.perf_counter()
    async with client.stream("POST", url + "/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and ('"content"' in line or '"reasoning_content"' in line):
                return (time.perf_counter() - start) * 1000
    raise RuntimeError("no token")


async def rtchat_ttft(session: Session, url: str) -> float:
    target = await session.resolve(f"loopback/{MODEL}", url + "/v1")
    conversation = Conversation()
    conversation.add_user("ping")
    start = time.perf_counter()
    turn = session.turn(target, conversation)
    async for event in turn.events():
        if isinstance(event, (TextDelta, ThinkingDelta)):
            elapsed = (time.perf_counter() - start) * 1000
            turn.cancel()
            return elapsed
    raise RuntimeError("no token")


async def measure(url: str, runs: int) -> dict:
    results: dict[str, list[float]] = {"bare_warm": [], "rtchat_warm": [], "bare_cold": [], "rtchat_cold": []}
    session = Session(load_config())
    client = httpx.AsyncClient()
    try:
        await bare_ttft(client, url)
        await rtchat_ttft(session, url)
        for _ in range(runs):
            results["bare_warm"].append(await bare_ttft(client, url))
            results["rtchat_warm"].append(await rtchat_ttft(session, url))
            async with httpx.AsyncClient() as fresh:
                results["bare_cold"].append(await bare_ttft(fresh, url))
            cold = Session(load_config())
            try:
                results["rtchat_cold"].append(await rtchat_ttft(cold, url))
            finally:
                await cold.aclose()
    finally:
        await client.aclose()
        await session.aclose()
    return {name: describe(samples) for name, samples in results.items()}


def ask_process_first_byte(url: str, runs: int) -> dict:
    samples = []
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "rtchat", "ask", "-m", f"loopback/{MODEL}", "--base-url", url + "/v1", "ping"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.read(1)
        samples.append((time.perf_counter() - start) * 1000)
        proc.wait()
    return describe(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json")
    args = parser.parse_args()
    with loopback_process() as url:
        summary = asyncio.run(measure(url, args.runs))
        summary["ask_process_first_byte"] = ask_process_first_byte(url, max(5, args.runs // 4))
    summary["overhead_warm_ms"] = round(summary["rtchat_warm"]["median"] - summary["bare_warm"]["median"], 3)
    summary["overhead_cold_ms"] = round(summary["rtchat_cold"]["median"] - summary["bare_cold"]["median"], 3)
    print(f"{'path':24} {'median ms':>10} {'p95 ms':>8} {'min':>7} {'max':>7}")
    for name, stats in summary.items():
        if isinstance(stats, dict):
            print(f"{name:24} {stats['median']:10.2f} {stats['p95']:8.2f} {stats['min']:7.2f} {stats['max']:7.2f}")
    print(f"rtchat overhead on TTFT: warm {summary['overhead_warm_ms']:+.2f} ms, cold {summary['overhead_cold_ms']:+.2f} ms (median vs bare httpx)")
    write_json(args.json, summary)


if __name__ == "__main__":
    main()

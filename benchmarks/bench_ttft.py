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
import tempfile
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


# The floor for `rtchat ask`: a bare script that imports what any async Python SSE client needs
# (asyncio, httpx), sends the same request and prints the first token's text.
BARE_ASK = """
import asyncio, sys, httpx
async def main():
    body = {"model": sys.argv[2], "messages": [{"role": "user", "content": "ping"}], "stream": True}
    async with httpx.AsyncClient() as client, client.stream("POST", sys.argv[1] + "/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if '"content"' in line:
                sys.stdout.write(line[6:7]); sys.stdout.flush()
                return
asyncio.run(main())
"""


def first_byte_ms(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.read(1)
    elapsed = (time.perf_counter() - start) * 1000
    proc.wait()
    return elapsed


def ask_process_first_byte(url: str, runs: int) -> dict:
    """`rtchat ask` to its first byte on stdout, alternating with the bare-script floor."""
    home = tempfile.mkdtemp(prefix="rtchat-bench-ttft-")  # history is written, as by default, but not the user's
    # The keyring is left as a user has it: a stand-in backend would hide what loading it costs.
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.update({f"RTCHAT_{name}_DIR": f"{home}/{name.lower()}" for name in ("CONFIG", "DATA", "STATE", "CACHE")})
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode
    rtchat = [sys.executable, "-m", "rtchat", "ask", "-m", f"loopback/{MODEL}", "--base-url", url + "/v1", "ping"]
    bare = [sys.executable, "-c", BARE_ASK, url, MODEL]
    first_byte_ms(rtchat, env), first_byte_ms(bare, env)  # warm-up: bytecode caches written
    samples: dict[str, list[float]] = {"rtchat": [], "floor": []}
    for _ in range(runs):
        samples["rtchat"].append(first_byte_ms(rtchat, env))
        samples["floor"].append(first_byte_ms(bare, env))
    return {"rtchat": describe(samples["rtchat"]), "floor": describe(samples["floor"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json")
    args = parser.parse_args()
    with loopback_process() as url:
        summary = asyncio.run(measure(url, args.runs))
        ask = ask_process_first_byte(url, max(5, args.runs // 4))
        summary["ask_process_first_byte"] = ask["rtchat"]
        summary["bare_process_first_byte"] = ask["floor"]
    summary["overhead_warm_ms"] = round(summary["rtchat_warm"]["median"] - summary["bare_warm"]["median"], 3)
    summary["overhead_cold_ms"] = round(summary["rtchat_cold"]["median"] - summary["bare_cold"]["median"], 3)
    print(f"{'path':24} {'median ms':>10} {'p95 ms':>8} {'min':>7} {'max':>7}")
    for name, stats in summary.items():
        if isinstance(stats, dict):
            print(f"{name:24} {stats['median']:10.2f} {stats['p95']:8.2f} {stats['min']:7.2f} {stats['max']:7.2f}")
    ratio = summary["ask_process_first_byte"]["median"] / summary["bare_process_first_byte"]["median"]
    print(f"rtchat ask first byte: {summary['ask_process_first_byte']['median']:.0f} ms, {ratio:.2f}x a bare httpx script's {summary['bare_process_first_byte']['median']:.0f} ms")
    print(f"rtchat overhead on TTFT: warm {summary['overhead_warm_ms']:+.2f} ms, cold {summary['overhead_cold_ms']:+.2f} ms (median vs bare httpx)")
    write_json(args.json, summary)


if __name__ == "__main__":
    main()

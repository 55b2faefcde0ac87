"""Shared by the benchmark scripts: a loopback server in its own process, and summaries."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def loopback_process():
    """`rtchat serve` in a separate process, so server work does not share the client's loop."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rtchat", "serve", "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/v1/models", timeout=0.2)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def describe(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3), "min": round(ordered[0], 3), "max": round(ordered[-1], 3), "n": len(ordered)}


def write_json(path: str | None, data: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2))


def isolate_from_the_user() -> None:
    """A throwaway config dir (so the loopback's demo tool server is on and nothing of the user's
    is read) and no keyring: a benchmark must never read the user's keys or settings."""
    import os
    import tempfile

    os.environ.setdefault("RTCHAT_CONFIG_DIR", tempfile.mkdtemp())
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def run_per_protocol(measure, *args, protocols=("sse", "websocket")) -> dict:
    """`asyncio.run(measure(url, protocol, *args))` for each protocol, against one loopback process,
    isolated from the user's config and keyring."""
    import asyncio

    isolate_from_the_user()
    results = {}
    with loopback_process() as url:
        for protocol in protocols:
            results[protocol] = asyncio.run(measure(url, protocol, *args))
            print(protocol, results[protocol])
    return results


def summarize_rounds(per_round: dict[str, list[dict]], calls: int, target_ms: float) -> dict:
    """Per kind ("mcp", "floor"): the median over the rounds of each round's p50 and p95; the
    tool layer's share (mcp over floor), the round size and the target."""
    summary: dict = {}
    for name, stats in per_round.items():
        summary[name] = {
            "p50_ms": round(statistics.median(s["median"] for s in stats), 3),
            "p95_ms": round(statistics.median(s["p95"] for s in stats), 3),
            "rounds": stats,
        }
    summary["tool_layer_ms"] = round(summary["mcp"]["p50_ms"] - summary["floor"]["p50_ms"], 3)
    summary["calls_per_round"], summary["target_ms"] = calls, target_ms
    return summary


def print_tool_overhead(results: dict[str, dict], rounds: int, calls: int) -> None:
    """The tool-overhead table both tool benchmarks print: per path, the demo MCP server and the
    no-op floor measured in the same run, and the verdict against the summary's target."""
    label_width = max(34, *(len(f"{path}: floor, no-op in-process runner") for path in results))
    print(f"{'path':{label_width}} {'p50 ms':>8} {'p95 ms':>8}   (medians of {rounds} rounds of {calls} calls)")
    for path, summary in results.items():
        for kind, label in (("mcp", "demo MCP server, auto-approved"), ("floor", "floor, no-op in-process runner")):
            print(f"{path + ': ' + label:{label_width}} {summary[kind]['p50_ms']:8.2f} {summary[kind]['p95_ms']:8.2f}")
        verdict = "within" if summary["mcp"]["p50_ms"] < summary["target_ms"] else "OVER"
        print(
            f"{path}: tool layer over the floor {summary['tool_layer_ms']:+.2f} ms; rtchat's overhead per call "
            f"{summary['mcp']['p50_ms']:.2f} ms ({verdict} the {summary['target_ms']:g} ms target)"
        )

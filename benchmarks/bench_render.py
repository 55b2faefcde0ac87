"""Rendering speed of streamed answers, measured headless against the loopback server.

For each rate (tokens/s) it streams `loopback/lorem@rate=N,ttft=0` into the real
app and reports display lag p50/p95 (a token's arrival in the turn's event stream
to the moment the answer widget has rendered text containing it), the CPU share
of the app process (process_time / wall while streaming) and the final-render
time (last token to fully rendered). The loopback server runs in a separate
process so its CPU is not counted. A last run renders a ~20,000-token answer.

    python benchmarks/bench_render.py [--json OUT] [--rates 100,1000,5000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rtchat.config import load_config  # noqa: E402
from rtchat.events import Done, TextDelta  # noqa: E402
from rtchat.session import Session  # noqa: E402
from rtchat.ui.app import RtChatApp  # noqa: E402


class ExternalLoopbackSession(Session):
    """A session whose loopback provider points at a server in another process."""

    def __init__(self, config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def loopback_url(self) -> str:
        return self._url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "rtchat", "serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the loopback server did not start")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(url: str, model: str, prompt: str, seconds: float) -> dict:
    config = load_config()
    app = RtChatApp(config, model=model, session=ExternalLoopbackSession(config, url))
    arrivals: list[tuple[int, float]] = []  # (answer length including this delta, arrival time)
    renders: list[tuple[int, float]] = []
    state = {"length": 0, "hooked": False, "done_at": None, "cpu0": None, "wall0": None, "cpu1": None, "wall1": None}

    def observe(event) -> None:
        now = time.perf_counter()
        if not state["hooked"] and app.turns.runner is not None:
            app.turns.runner.view.body.on_rendered.append(lambda upto, t: renders.append((upto, t)))
            state["hooked"] = True
        if isinstance(event, TextDelta):
            if state["cpu0"] is None:
                state["cpu0"], state["wall0"] = time.process_time(), now
            state["length"] += len(event.text)
            arrivals.append((state["length"], now))
        elif isinstance(event, Done):
            state["done_at"] = now
            state["cpu1"], state["wall1"] = time.process_time(), now

    app.turns.observers.append(observe)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.state.ready.is_set():
            await pilot.pause(0.02)
        app.prompt.load_text(prompt)
        await pilot.press("enter")
        started = time.perf_counter()
        while state["done_at"] is None:
            await asyncio.sleep(0.05)
            if time.perf_counter() - started > seconds and app.turns.runner is not None:
                app.turns.runner.turn.cancel()
        while app.turns.runner is not None:
            await asyncio.sleep(0.01)
        await pilot.pause(0.1)
    lags = []
    index = 0
    for length, arrived in arrivals:
        while index < len(renders) and renders[index][0] < length:
            index += 1
        if index < len(renders):
            lags.append((renders[index][1] - arrived) * 1000)
    last_arrival = arrivals[-1][1] if arrivals else None
    final = [t for upto, t in renders if arrivals and upto >= arrivals[-1][0]]
    wall = (state["wall1"] or 0) - (state["wall0"] or 0)
    tokens = len(arrivals)
    return {
        "model": model,
        "tokens": tokens,
        "chars": state["length"],
        "stream_s": round(wall, 2),
        "tokens_per_s": round(tokens / wall, 1) if wall > 0 else None,
        "lag_p50_ms": round(percentile(lags, 0.5), 1),
        "lag_p95_ms": round(percentile(lags, 0.95), 1),
        "cpu_share": round((state["cpu1"] - state["cpu0"]) / wall, 3) if wall > 0 else None,
        "final_render_ms": round((final[0] - last_arrival) * 1000, 1) if final and last_arrival else None,
    }


def big_prompt(tokens: int) -> str:
    from rtchat.loopback.scripts import lorem_text

    text = lorem_text()
    parts = []
    while sum(len(p.split()) for p in parts) < tokens:
        parts.append(text)
    return "\n\n".join(parts)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--rates", default="100,1000,5000")
    parser.add_argument("--seconds", type=float, default=8.0, help="stop each rate's stream after this long")
    parser.add_argument("--big", type=int, default=20000, help="tokens of the large-answer run (0 to skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        for name in ("CONFIG", "DATA", "STATE", "CACHE"):
            os.environ[f"RTCHAT_{name}_DIR"] = f"{home}/{name.lower()}"
        server, url = start_server()
        try:
            results = []
            for rate in [int(r) for r in args.rates.split(",") if r]:
                result = await measure(url, f"loopback/lorem@rate={rate},ttft=0", "write", args.seconds)
                result["rate"] = rate
                results.append(result)
                print(json.dumps(result), flush=True)
            if args.big:
                result = await measure(url, "loopback/echo@rate=0", big_prompt(args.big), 120)
                result["rate"] = "max (echo of a large prompt)"
                results.append(result)
                print(json.dumps(result), flush=True)
        finally:
            server.terminate()
            server.wait(5)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())

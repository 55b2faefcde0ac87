"""Rendering speed of streamed answers, measured headless against the loopback server.

Each case runs the real app (headless, 120x40) in a fresh process against a
loopback server in another process (its CPU is not counted):

- `rate:N`: `loopback/lorem@rate=N` for --seconds: display lag p50/p95 (a token's
  arrival in the turn's events to the answer widget having rendered text holding it),
  core share of the app process (process time / wall while streaming), final render.
- `long:N`: an N-token answer (echo of a long prompt) at 1,000 tokens/s: the same
  figures, to compare 20,000 tokens with 3,000 (cost must not grow with the answer).
- `shape:KIND`: `loopback/shape-KIND` at full speed (one 10,000-row table, one
  5,000-line code block, one ~1 MB line). A thread types a key every 50 ms and
  times it until the input holds it and the screen has refreshed; then it sends
  Ctrl-C and times it until the answer shows "interrupted" (and says whether it did).
- floors, in the same run: `floor:keys` (keystrokes into an idle app) and
  `floor:reader` (the turn's events consumed at 1,000 tokens/s with no screen).

Rounds alternate the variants (this tree, and `--baseline DIR`, another checkout)
and the report gives medians of the rounds.

    python benchmarks/bench_render.py [--rounds 3] [--baseline OTHER_CHECKOUT] [--cases ...] [--json OUT] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CASES = "floor:keys,floor:reader,rate:100,rate:1000,long:3000,long:20000,shape:table,shape:code,shape:line"
SIZE = (120, 40)
KEY_EVERY_S = 0.05
KEYS = 20
KEYS_BEFORE_CTRL_C = 15  # typed while the answer streams; the rest while the screen catches up after Ctrl-C


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    """This tree's loopback server (it has the shape models) in its own process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rtchat", "serve", "--port", str(port)], cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the loopback server did not start")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


# ------------------------------------------------------------------ one case, in a child process


def make_app(url: str, model: str):
    from rtchat.config import load_config
    from rtchat.session import Session
    from rtchat.ui.app import RtChatApp

    class ExternalLoopbackSession(Session):
        """A session whose loopback provider points at the server in another process."""

        async def loopback_url(self) -> str:
            return url

    config = load_config()
    return RtChatApp(config, model=model, session=ExternalLoopbackSession(config))


def long_prompt(tokens: int) -> str:
    from rtchat.loopback.scripts import lorem_text, tokenize

    text = lorem_text()
    parts = []
    while sum(len(tokenize(p)) for p in parts) < tokens:
        parts.append(text)
    return "".join(tokenize("\n\n".join(parts))[:tokens])


async def wait_ready(app, pilot) -> None:
    while not (app.state.ready.is_set() and app.state.target is not None):
        await pilot.pause(0.02)


async def stream_case(url: str, model: str, prompt: str, seconds: float) -> dict:
    """Display lag, core share and final render of one streamed answer."""
    from rtchat.events import Done, TextDelta

    app = make_app(url, model)
    arrivals: list[tuple[int, float]] = []
    renders: list[tuple[int, float]] = []
    state = {"length": 0, "hooked": False, "done": None, "cpu0": None, "wall0": None, "cpu1": None, "wall1": None}

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
            state["done"] = now
            state["cpu1"], state["wall1"] = time.process_time(), now

    app.turns.observers.append(observe)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(app, pilot)
        app.prompt.load_text(prompt)
        await pilot.press("enter")
        started = time.perf_counter()
        while state["done"] is None:
            await asyncio.sleep(0.05)
            if time.perf_counter() - started > seconds and app.turns.runner is not None:
                app.turns.runner.turn.cancel()
        while app.turns.runner is not None:
            await asyncio.sleep(0.01)
        await pilot.pause(0.2)
    lags, index = [], 0
    for length, arrived in arrivals:
        while index < len(renders) and renders[index][0] < length:
            index += 1
        if index < len(renders):
            lags.append((renders[index][1] - arrived) * 1000)
    final = [t for upto, t in renders if arrivals and upto >= arrivals[-1][0]]
    wall = (state["wall1"] or 0) - (state["wall0"] or 0)
    return {
        "tokens": len(arrivals),
        "tokens_per_s": round(len(arrivals) / wall, 1) if wall > 0 else None,
        "lag_p50_ms": percentile(lags, 0.5),
        "lag_p95_ms": percentile(lags, 0.95),
        "core_share": round((state["cpu1"] - state["cpu0"]) / wall, 3) if wall > 0 else None,
        "final_render_ms": round((final[0] - arrivals[-1][1]) * 1000, 1) if final and arrivals else None,
    }


class KeyTimer(threading.Thread):
    """Types from outside the event loop, as a terminal would, and times what the user sees."""

    def __init__(self, app, loop, view=None) -> None:
        super().__init__(daemon=True)
        self.app, self.loop, self.view = app, loop, view
        self.echo_ms: list[float] = []
        self.ctrl_c_ms: float | None = None
        self.interrupted = False
        self.ended_first = False

    def post(self, key: str, character: str | None) -> None:
        from textual import events

        def send() -> None:
            event = events.Key(key, character)
            event.set_sender(self.app)
            self.app._driver.send_message(event)

        self.loop.call_soon_threadsafe(send)

    def painted(self, started: float, into: list[float] | None) -> float:
        """Wait for the screen's next refresh; the time from `started` in ms."""
        done = threading.Event()
        self.loop.call_soon_threadsafe(lambda: self.app.screen.call_after_refresh(done.set))
        done.wait(30)
        return (time.perf_counter() - started) * 1000

    def type_key(self) -> None:
        before = len(self.app.prompt.text)
        started = time.perf_counter()
        self.post("x", "x")
        while len(self.app.prompt.text) == before and time.perf_counter() - started < 30:
            time.sleep(0.0005)
        self.echo_ms.append(self.painted(started, None))
        time.sleep(KEY_EVERY_S)

    def run(self) -> None:
        """A few keys while the answer streams, Ctrl-C, then keys while the rest of it is laid out."""
        for _ in range(KEYS_BEFORE_CTRL_C if self.view is not None else KEYS):
            self.type_key()
        if self.view is None:
            return
        if not self.view.streaming:
            self.ended_first = True
        else:
            started = time.perf_counter()
            self.post("ctrl+c", None)
            while self.view.reason is None and time.perf_counter() - started < 60:
                time.sleep(0.0005)
            self.interrupted = self.view.reason == "interrupted"
            self.ctrl_c_ms = self.painted(started, None)
        for _ in range(KEYS - KEYS_BEFORE_CTRL_C):
            self.type_key()


async def keys_case(url: str, model: str | None) -> dict:
    """Keystroke echo (and Ctrl-C) while `model` streams at full speed; an idle app when None."""
    app = make_app(url, model or "loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(app, pilot)
        view = None
        if model is not None:
            app.prompt.load_text("go")
            await pilot.press("enter")
            while app.turns.runner is None or len(app.turns.runner.view.text) < 10_000:
                await asyncio.sleep(0.005)
            view = app.turns.runner.view
        timer = KeyTimer(app, asyncio.get_running_loop(), view)
        timer.start()
        while timer.is_alive():
            await asyncio.sleep(0.01)
        if view is not None:
            await app.turns.stop()
        chars = len(view.text) if view is not None else 0
    result = {"echo_p50_ms": percentile(timer.echo_ms, 0.5), "echo_p95_ms": percentile(timer.echo_ms, 0.95), "keys": len(timer.echo_ms)}
    if model is not None:
        result.update(ctrl_c_ms=round(timer.ctrl_c_ms, 1) if timer.ctrl_c_ms else None, interrupted=timer.interrupted, ended_before_ctrl_c=timer.ended_first, chars=chars)
    return result


async def reader_case(url: str, rate: int, seconds: float) -> dict:
    """The floor: the turn's events at `rate` consumed with no screen (transport + fold only)."""
    from rtchat.conversation import Conversation
    from rtchat.events import TextDelta

    session = make_app(url, "loopback/echo").session
    target = await session.resolve(f"loopback/lorem@rate={rate},ttft=0")
    conversation = Conversation()
    conversation.add_user("write")
    turn = session.turn(target, conversation)
    cpu0 = wall0 = None
    tokens = 0
    started = time.perf_counter()
    async for event in turn.events():
        if isinstance(event, TextDelta):
            if cpu0 is None:
                cpu0, wall0 = time.process_time(), time.perf_counter()
            tokens += 1
            if time.perf_counter() - started > seconds:
                turn.cancel()
    wall = time.perf_counter() - wall0
    return {"tokens": tokens, "core_share": round((time.process_time() - cpu0) / wall, 3)}


async def run_case(case: str, url: str, seconds: float) -> dict:
    kind, _, arg = case.partition(":")
    if kind == "rate":
        return await stream_case(url, f"loopback/lorem@rate={arg},ttft=0", "write", seconds)
    if kind == "long":
        return await stream_case(url, "loopback/echo@rate=1000", long_prompt(int(arg)), 600)
    if kind == "shape":
        return await keys_case(url, f"loopback/shape-{arg}")
    if arg == "keys":
        return await keys_case(url, None)
    return await reader_case(url, 1000, seconds)


# ------------------------------------------------------------------ the run


def child(case: str, root: Path, url: str, seconds: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, "--url", url, "--seconds", str(seconds)], cwd=root, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "no result"}
    return json.loads(lines[-1])


def median_of(results: list[dict]) -> dict:
    merged: dict = {}
    for key in results[0]:
        values = [r[key] for r in results if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
        if values:
            merged[key] = round(statistics.median(values), 3)
        else:
            merged[key] = [r.get(key) for r in results]
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=CASES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each `rate:` stream")
    parser.add_argument("--baseline", help="another checkout to measure alternately (before/after)")
    parser.add_argument("--json", help="write every round and the medians here")
    parser.add_argument("--quick", action="store_true", help="one round of a few short cases (run_all --quick)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(asyncio.run(run_case(args.child, args.url, args.seconds))), flush=True)
        return
    if args.quick:
        args.rounds, args.seconds, args.cases = 1, 2.0, "floor:reader,rate:100,rate:1000,long:3000,shape:table"
    roots = {"this": HERE}
    if args.baseline:
        roots["baseline"] = Path(args.baseline).resolve()
    runs: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as home:
        for name in ("CONFIG", "DATA", "STATE", "CACHE"):
            os.environ[f"RTCHAT_{name}_DIR"] = f"{home}/{name.lower()}"
        server, url = start_server()
        try:
            for round_number in range(args.rounds):
                order = list(roots.items()) if round_number % 2 == 0 else list(reversed(roots.items()))
                for case in args.cases.split(","):
                    for variant, root in order:
                        result = child(case, root, url, args.seconds)
                        runs.setdefault((case, variant), []).append(result)
                        print(json.dumps({"round": round_number, "case": case, "variant": variant, **result}), flush=True)
        finally:
            server.terminate()
            server.wait(5)
    medians = {f"{case} {variant}": median_of(results) for (case, variant), results in runs.items()}
    print("\nmedians of", args.rounds, "rounds:")
    for name, figures in medians.items():
        print(f"  {name}: {json.dumps(figures)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rounds": {f"{c} {v}": r for (c, v), r in runs.items()}, "medians": medians}, indent=2) + "\n")


if __name__ == "__main__":
    main()

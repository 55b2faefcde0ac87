"""Start-up speed: time to first paint in a real terminal, and headless with a 1,000-message conversation.

The headline figure is what a person sees: `rtchat` launched in a private tmux
server (120x40 and 80x24), timed from the launch to the first pane that shows
both the input and the footer's keys. The floor is measured the same way in the
same run: a bare Textual app with one Input and a Footer (Textual's own
start-up, which rtchat cannot go below). Rounds alternate floor and rtchat.

The second figure runs headless in a fresh interpreter (cold imports count) and
opens a conversation of --messages messages; it also checks that no voice
library (aiortc, sounddevice, numpy) was imported.

    python benchmarks/bench_startup.py [--json OUT] [--messages 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import time
t0 = time.perf_counter()
import asyncio, json, sys
sys.path.insert(0, {root!r})
from rtchat.config import load_config
from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock
from rtchat.ui.app import RtChatApp

def history(count):
    conversation = Conversation()
    for i in range(count // 2):
        conversation.messages.append(ChatMessage("user", f"question {{i}}: how does *this* work?"))
        conversation.messages.append(ChatMessage("assistant", f"## Answer {{i}}\n\n- point one\n- point two\n\n```python\nprint({{i}})\n```\n", [ThinkingBlock("reasoning " * 20)]))
    return conversation

async def main():
    count = {messages}
    app = RtChatApp(load_config(), model="loopback/echo", history=history(count) if count else None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # mount done and the first frame composed
        app.screen._compositor.render_update(full=True)
        first_paint = time.perf_counter() - t0
        voice = sorted({{"aiortc", "sounddevice", "numpy"}} & set(sys.modules))
    print(json.dumps({{"first_paint_ms": round(first_paint * 1000, 1), "voice_modules": voice}}))

asyncio.run(main())
"""


def run_once(messages: int, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), messages=messages)], capture_output=True, text=True, env=env, timeout=60)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


FLOOR_APP = r"""
from textual.app import App
from textual.widgets import Footer, Input

class Floor(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self):
        yield Input(placeholder="Message rtchat")
        yield Footer()

Floor().run()
"""
LAUNCHES = itertools.count()
READY = re.compile(r"Message rtchat[\s\S]*\^q Quit")  # the input and the footer are both on screen


def terminal_first_paint(command: list[str], size: tuple[int, int], env: dict, limit: float = 20.0) -> float:
    """Seconds from launching `command` in a fresh tmux server until the pane shows READY."""
    server = f"rtchat-startup-{os.getpid()}-{next(LAUNCHES)}"  # a fresh server each time: no wait for the last to exit
    tmux = ["tmux", "-L", server, "-f", "/dev/null"]
    columns, rows = size
    start = time.perf_counter()
    subprocess.run([*tmux, "new-session", "-d", "-x", str(columns), "-y", str(rows), shlex.join(command)], env=env, check=True, capture_output=True)
    try:
        while time.perf_counter() - start < limit:
            pane = subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True).stdout
            if READY.search(pane):
                return time.perf_counter() - start
            time.sleep(0.005)  # polling a terminal: there is no event to wait on from outside it
        raise SystemExit(f"{command[0]} did not show its input and footer within {limit:.0f} s")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def terminal_rounds(runs: int, env: dict, home: str) -> dict:
    rtchat = [sys.executable, "-m", "rtchat", "-m", "loopback/echo"]
    floor_app = Path(home) / "floor_app.py"
    floor_app.write_text(FLOOR_APP)
    floor = [sys.executable, str(floor_app)]
    results = {}
    for columns, rows in ((120, 40), (80, 24)):
        samples: dict[str, list[float]] = {"floor": [], "rtchat": []}
        terminal_first_paint(rtchat, (columns, rows), env)  # a warm-up: bytecode caches written
        for _ in range(runs):
            samples["floor"].append(terminal_first_paint(floor, (columns, rows), env) * 1000)
            samples["rtchat"].append(terminal_first_paint(rtchat, (columns, rows), env) * 1000)
        floor_ms = statistics.median(samples["floor"])
        rtchat_ms = statistics.median(samples["rtchat"])
        results[f"{columns}x{rows}"] = {
            "floor_ms_median": round(floor_ms, 1),
            "rtchat_ms_median": round(rtchat_ms, 1),
            "ratio_to_floor": round(rtchat_ms / floor_ms, 2),
            "rtchat_ms_runs": [round(v, 1) for v in samples["rtchat"]],
            "floor_ms_runs": [round(v, 1) for v in samples["floor"]],
        }
        print(json.dumps({f"terminal_{columns}x{rows}": results[f"{columns}x{rows}"]}), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, **{f"RTCHAT_{n}_DIR": f"{home}/{n.lower()}" for n in ("CONFIG", "DATA", "STATE", "CACHE")})
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode; so does this measure
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the user's keyring
        results = {"terminal": terminal_rounds(args.runs, env, home)} if shutil.which("tmux") else {}
        for label, count in ((f"{args.messages}_messages", args.messages),):
            runs = [run_once(count, env) for _ in range(args.runs)]
            results[label] = {
                "first_paint_ms_median": statistics.median(r["first_paint_ms"] for r in runs),
                "first_paint_ms_runs": [r["first_paint_ms"] for r in runs],
                "voice_modules_imported": sorted({m for r in runs for m in r["voice_modules"]}),
            }
            print(json.dumps({label: results[label]}), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Start-up speed: time to first paint of a fresh app, and of one opening a 1,000-message conversation.

Each measurement runs in a fresh interpreter (cold imports count), headless.
It also checks that no voice library (aiortc, sounddevice, numpy) was imported.

    python benchmarks/bench_startup.py [--json OUT] [--messages 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, **{f"RTCHAT_{n}_DIR": f"{home}/{n.lower()}" for n in ("CONFIG", "DATA", "STATE", "CACHE")})
        results = {}
        for label, count in (("empty", 0), (f"{args.messages}_messages", args.messages)):
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

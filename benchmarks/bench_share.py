"""Screen sharing into a Gemini Live session while an answer streams (issue 29).

    python benchmarks/bench_share.py [--rounds 3] [--seconds 10] [--size 1920x1080] [--json OUT]

Against the loopback in its own process (its work is not the client's), on a real X
server (Xvfb at --size, with a picture on it), each round runs the same 100 tokens/s
answer (`loopback/endless@rate=100` over Live) for --seconds twice, in turns:
- floor: the answer alone;
- share: the answer while `/share screen` streams frames at 1 fps (768 px JPEG).
Figures per round: capture-to-socket ms per frame (capture began -> the frame written
to the socket; p50 / p95) and the client process's CPU (all threads) in cores over the
window; reported as the median of the rounds, the share's CPU less the floor's.
Targets: under 50 ms a frame and under 0.05 core added.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import describe, isolate_from_the_user, loopback_process, write_json  # noqa: E402
from rtchat.config import load_config  # noqa: E402
from rtchat.conversation import Conversation  # noqa: E402
from rtchat.events import Done, TextDelta  # noqa: E402
from rtchat.session import Session  # noqa: E402
from rtchat.share import parse_share  # noqa: E402

MODEL = "gemini/endless@rate=100"


def start_xvfb(size: str, folder: Path) -> tuple[subprocess.Popen, str]:
    """Xvfb at `size` with a gradient picture as its root background (xsetroot -bitmap)."""
    from PIL import Image  # the bench's own picture

    bitmap = folder / "picture.xbm"
    picture = Image.effect_mandelbrot((256, 256), (-2.0, -1.5, 1.0, 1.5), 64).convert("1")
    picture.save(bitmap)
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24", "-nolisten", "tcp", "-noreset"], pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        number += os.read(read, 16)
    os.close(read)
    display = f":{number.decode().strip()}"
    subprocess.run(["xsetroot", "-bitmap", str(bitmap), "-fg", "#204080", "-bg", "#f0e0c0"], env={**os.environ, "DISPLAY": display}, check=True)
    return server, display


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process: the capture thread included
    return usage.ru_utime + usage.ru_stime


async def stream_for(session: Session, target, conversation: Conversation, seconds: float) -> int:
    """The answer streams for `seconds`, then is cancelled; the text deltas seen."""
    conversation.add_user("write")
    turn = session.turn(target, conversation, protocol="websocket")
    deltas = 0
    deadline = time.monotonic() + seconds

    async def consume() -> None:
        nonlocal deltas
        async for event in turn.events():
            if isinstance(event, TextDelta):
                deltas += 1
            if isinstance(event, Done):
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))  # the measured window
    turn.cancel()
    await task
    conversation.messages.pop()
    return deltas


async def window(session: Session, target, seconds: float, share: bool) -> dict:
    conversation = Conversation()
    sharing = None
    if share:
        sharing = await session.start_share(parse_share("screen"), target, "websocket", conversation)
    else:
        await session.live_pool().open(target, conversation)
    cpu, wall = cpu_seconds(), time.monotonic()
    deltas = await stream_for(session, target, conversation, seconds)
    cores = (cpu_seconds() - cpu) / (time.monotonic() - wall)
    result = {"cores": round(cores, 4), "deltas": deltas}
    if sharing is not None:
        await session.stop_share()
        result.update(frames=sharing.frames_sent, sent_ms=describe(sharing.sent_ms) if sharing.sent_ms else None, capture_ms=describe(sharing.capture_ms), capture_cpu_ms=describe(sharing.capture_cpu_ms))
    await session.live_pool().aclose()
    return result


async def run(url: str, rounds: int, seconds: float) -> dict:
    config = load_config()
    gemini = config.catalog.providers["gemini"]
    config.catalog.providers["gemini"] = replace(gemini, base_url=url, needs_key=False)
    session = Session(config)
    per_round = []
    try:
        target = await session.resolve(MODEL)
        await window(session, target, 2.0, True)  # warm-up: Pillow, mss and the socket stack loaded
        for number in range(rounds):
            floor = await window(session, target, seconds, False)
            shared = await window(session, target, seconds, True)
            per_round.append({"floor": floor, "share": shared})
            print(f"round {number + 1}: floor {floor['cores']:.4f} cores ({floor['deltas']} deltas), share {shared['cores']:.4f} cores, {shared['frames']} frames, capture+encode CPU p50 {shared['capture_cpu_ms']['median']} ms, capture-to-socket p50 {shared['sent_ms']['median']} / p95 {shared['sent_ms']['p95']} ms")
    finally:
        await session.aclose()
    return {
        "capture_to_socket_p50_ms": round(statistics.median(r["share"]["sent_ms"]["median"] for r in per_round), 2),
        "capture_to_socket_p95_ms": round(statistics.median(r["share"]["sent_ms"]["p95"] for r in per_round), 2),
        "capture_encode_p50_ms": round(statistics.median(r["share"]["capture_ms"]["median"] for r in per_round), 2),
        "capture_encode_cpu_p50_ms": round(statistics.median(r["share"]["capture_cpu_ms"]["median"] for r in per_round), 2),
        "load_average": round(os.getloadavg()[0], 2),  # other work on the machine stretches the wall times
        "floor_cores": round(statistics.median(r["floor"]["cores"] for r in per_round), 4),
        "share_cores": round(statistics.median(r["share"]["cores"] for r in per_round), 4),
        "added_cores": round(statistics.median(r["share"]["cores"] - r["floor"]["cores"] for r in per_round), 4),
        "rounds": per_round,
        "targets": {"ms_per_frame": 50, "added_cores": 0.05},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--json")
    args = parser.parse_args()
    if shutil.which("Xvfb") is None or shutil.which("xsetroot") is None:
        sys.exit("bench_share: needs Xvfb and xsetroot (apt install xvfb x11-xserver-utils)")
    isolate_from_the_user()
    with tempfile.TemporaryDirectory() as folder:
        server, display = start_xvfb(args.size, Path(folder))
        os.environ["DISPLAY"] = display
        try:
            with loopback_process() as url:
                result = asyncio.run(run(url, args.rounds, args.seconds))
        finally:
            server.terminate()
            server.wait(10)
    result["screen"] = args.size
    summary = {k: v for k, v in result.items() if k != "rounds"}
    print(summary)
    write_json(args.json, result)


if __name__ == "__main__":
    main()

"""Coverage-guided fuzzing of every decoder with atheris (a longer run than the CI's hypothesis tests).

    pip install atheris
    python benchmarks/fuzz_atheris.py [--seconds 60] [--json OUT]

Seeds come from tests/fixtures. Any uncaught exception is a bug: atheris stops
and prints the input. Reports executions and time per target.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGETS = ["openai_chat", "anthropic", "gemini", "openai_responses", "openai_realtime", "gemini_live"]


def one_input(target: str):
    from rtchat.wire import WIRES
    from rtchat.wire.gemini_live import LiveDecoder
    from rtchat.wire.openai_realtime import RealtimeDecoder
    from rtchat.wire.sse import FrameTooLarge, SSEFramer

    def run(data: bytes) -> None:
        if target in ("openai_realtime", "gemini_live"):
            decoder = RealtimeDecoder() if target == "openai_realtime" else LiveDecoder()
            for line in data.split(b"\n"):
                decoder.feed_text(line.decode("utf-8", "replace"))
            return
        framer, decoder = SSEFramer(max_event_bytes=1 << 20), WIRES[target].decoder()
        cut = data[0] if data else 0
        try:
            for chunk in (data[1 : 1 + cut], data[1 + cut :]):
                for sse in framer.feed(chunk):
                    decoder.feed(sse)
            for sse in framer.close():
                decoder.feed(sse)
        except FrameTooLarge:
            return
        events = decoder.finish()
        assert decoder.done and (events or True)

    return run


def seeds(target: str, folder: Path) -> None:
    sources = sorted((REPO / "tests" / "fixtures" / ("ws" if target in ("openai_realtime", "gemini_live") else "sse")).glob("*"))
    for index, path in enumerate(p for p in sources if p.suffix in (".sse", ".jsonl")):
        shutil.copy(path, folder / f"seed{index}")


def fuzz(target: str, seconds: int) -> None:
    """The worker: libFuzzer ends the process itself and prints `Done N runs in S second(s)`."""
    import atheris

    with atheris.instrument_imports():
        import rtchat.wire  # noqa: F401
        import rtchat.wire.gemini_live  # noqa: F401
        import rtchat.wire.openai_realtime  # noqa: F401
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{target}-"))
    seeds(target, corpus)
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-max_len=65536", "-rss_limit_mb=2048", str(corpus)], one_input(target))
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.worker:
        fuzz(args.worker, args.seconds)
        return
    results = []
    for target in args.targets.split(","):
        started = time.monotonic()
        proc = subprocess.run([sys.executable, __file__, "--worker", target, "--seconds", str(args.seconds)], capture_output=True, text=True)
        done = re.search(r"Done (\d+) runs in (\d+) second", proc.stderr)
        result = {"target": target, "runs": int(done.group(1)) if done else None, "seconds": round(time.monotonic() - started, 1), "exit_code": proc.returncode}
        if proc.returncode != 0:
            result["crash"] = proc.stderr[-3000:]
        results.append(result)
        print(f"{target:18} {result['runs']} runs in {result['seconds']} s, exit {proc.returncode}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"fuzz": results}, indent=2))
    sys.exit(1 if any(r["exit_code"] != 0 for r in results) else 0)


if __name__ == "__main__":
    main()

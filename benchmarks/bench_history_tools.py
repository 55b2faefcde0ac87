"""What a big tool result costs the history while the answer keeps streaming: bytes written.

    python benchmarks/bench_history_tools.py [--result-bytes 1000000 --deltas 500 --repeats 5] [--json OUT]

One answer: a tool call, its result of `--result-bytes`, then `--deltas` text deltas, each
flushed to the file (flush interval 0: the worst case). Reported as the process's bytes written
(/proc/self/io wchar: the WAL, the file, its checkpoints), medians over the repeats:
- floor: the same answer with a 10-byte result;
- tool_blocks: the result in its step's own row (store/tool_blocks.py), written once;
- in_row: the same megabyte carried in the answer's own row instead (as a JSON column would),
  which every flush updates.
Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rtchat.answer import AnswerBuilder  # noqa: E402
from rtchat.events import Done, Event, TextDelta, ThinkingDelta, ThinkingSignature, ToolCallDelta, ToolCallResult  # noqa: E402
from rtchat.store import Store  # noqa: E402


def bytes_written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise RuntimeError("no wchar in /proc/self/io")


def one_answer(head: list[Event], deltas: int) -> int:
    """Bytes written while an answer of `head` then `deltas` flushed text deltas is stored."""
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "history.db", flush_interval=0) as store:
        conversation = store.create_conversation("m")
        store.add_user_message(conversation, "q")
        writer = store.begin_answer(conversation, "m", provider="p")
        fold = AnswerBuilder("p")
        before = bytes_written()
        for event in [*head, *(TextDelta("x" * 99 + " ") for _ in range(deltas)), Done("complete")]:
            fold.apply(event)
            writer.update(fold.answer, final=isinstance(event, Done))
            writer.flush()
            writer.wait()
        assert writer.failed is None, writer.failed
        return bytes_written() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result-bytes", type=int, default=1_000_000)
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    big = "lorem ipsum dolor " * (args.result_bytes // 18)
    call = ToolCallDelta(0, "call_1", "read", '{"path": "big"}')
    cases = {
        "floor": [call, ToolCallResult("call_1", "read", "ten bytes.", ms=1.0)],
        "tool_blocks": [call, ToolCallResult("call_1", "read", big, ms=1.0)],
        "in_row": [ThinkingDelta(big), ThinkingSignature("s")],
    }
    report = {name: statistics.median(one_answer(head, args.deltas) for _ in range(args.repeats)) for name, head in cases.items()}
    for name, value in report.items():
        print(f"{name:12} {value / 1e6:8.1f} MB written (median of {args.repeats})")
    if args.json:
        args.json.write_text(json.dumps({"bytes_written": report, "result_bytes": args.result_bytes, "deltas": args.deltas}))


if __name__ == "__main__":
    main()

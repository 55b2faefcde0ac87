"""How fast the history stays with a big file: listing, filtering, searching,
opening a long conversation, and what streaming costs per event.

    python benchmarks/bench_history.py [--conversations 10000 --messages 40000] [--json OUT]

Builds the file in a temporary folder with bulk inserts (triggers and all, as the
app would have written it), then reports medians, and for search also the p95 over
all its queries (a word in every branch, a common word, two words, part of a word,
a word in no message). Targets: list < 300 ms, search < 200 ms (p95 too), open a 1,000-message conversation < 1 s, < 1 ms per event.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rtchat.answer import AnswerBuilder  # noqa: E402
from rtchat.events import Done, TextDelta, ThinkingDelta, ThinkingSignature, Usage  # noqa: E402
from rtchat.store import Store, thinking_to_json  # noqa: E402
from rtchat.conversation import ThinkingBlock  # noqa: E402

BIG_CONVERSATION_MESSAGES = 1000
RARE_WORD = "zymurgy"  # planted in a known number of messages
STREAM_EVENTS = 20_000
EVENTS_PER_SECOND = 40  # a brisk model: one flush every 20 events


class Vocabulary:
    """Made-up words with a Zipf-like spread, so some are common and most are rare."""

    def __init__(self, rng: random.Random, size: int = 5000) -> None:
        syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "de", "ba", "xo", "pe", "qu", "zi"]
        words: set[str] = set()
        while len(words) < size:
            words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
        self.words = sorted(words)
        rng.shuffle(self.words)  # the most common word is words[0]
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.rng = rng

    def text(self, count: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=count))


def build(store: Store, conversations: int, messages: int, seed: int) -> dict[str, object]:
    """Bulk-insert the corpus in one transaction; return what the measurements need."""
    rng = random.Random(seed)
    vocabulary = Vocabulary(rng)
    conn = store._conn  # the benchmark fills the file directly; the app never does this
    started = time.time() - 365 * 86400
    rest = messages - BIG_CONVERSATION_MESSAGES
    per_conversation = [rest // (conversations - 1)] * (conversations - 1)
    for i in range(rest - sum(per_conversation)):
        per_conversation[i] += 1
    sizes = [BIG_CONVERSATION_MESSAGES, *per_conversation]
    rng.shuffle(sizes)
    big_id = sizes.index(BIG_CONVERSATION_MESSAGES) + 1

    rare_every = max(1, messages // 500)  # the rare word lands in ~500 messages
    conn.execute("BEGIN")
    message_number = 0
    clock = started
    for conv_index, size in enumerate(sizes, start=1):
        title = vocabulary.text(rng.randint(2, 7)).capitalize()
        conn.execute(
            "INSERT INTO conversations (id, title, model, protocol, system, created, updated)"
            " VALUES (?, ?, 'bench-model', 'sse', NULL, ?, ?)",
            (conv_index, title, clock, clock + size * 10),
        )
        rows = []
        for seq in range(1, size + 1):
            message_number += 1
            clock += 1.5
            role = "user" if seq % 2 else "assistant"
            text = vocabulary.text(rng.randint(8, 30) if role == "user" else rng.randint(30, 90))
            if message_number % rare_every == 0:
                text += f" {RARE_WORD}"
            thinking, thinking_text = "[]", ""
            if role == "assistant" and rng.random() < 0.3:
                thinking_text = vocabulary.text(rng.randint(20, 60))
                thinking = thinking_to_json([ThinkingBlock(thinking_text, "c2lnbmF0dXJl", None, "bench")])
            rows.append(
                (conv_index, seq, role, text, thinking, thinking_text, "complete", "bench-model", clock, clock)
            )
        conn.executemany(
            "INSERT INTO messages (conversation_id, seq, role, text, thinking, thinking_text, status,"
            " model, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    common_word = vocabulary.words[0]
    filter_word = vocabulary.words[20]
    return {"big_id": big_id, "common_word": common_word, "filter_word": filter_word}


def timings_ms(action, repeats: int) -> list[float]:
    action()  # warm the page cache, as a second look in the app would
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def median_ms(action, repeats: int) -> float:
    return statistics.median(timings_ms(action, repeats))


def p95_ms(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def search_p95(store: Store, queries: list[str], repeats: int) -> float:
    """p95 over every query's timings together: what someone typing searches meets, the slow
    ones (a word in no message scans every message for parts of words) included."""
    return p95_ms([t for q in queries for t in timings_ms(lambda q=q: store.search(q), repeats)])


class SteppingClock:
    """Each reading moves time on by one event's worth, so flushes come at a realistic pace."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def stream_cost(path: Path) -> dict[str, float]:
    """The writer's cost per event over a long answer, flushes included: `update` hands it the
    answer (folded by the turn, untimed here: the turn folds once whoever reads it)."""
    clock = SteppingClock(1 / EVENTS_PER_SECOND)
    store = Store.open(path, clock=clock)
    conv = store.create_conversation("bench-model")
    store.add_user_message(conv, "write a very long answer")
    writer = store.begin_answer(conv, "bench-model", provider="bench")
    events = [ThinkingDelta(f"thought {i} ") for i in range(STREAM_EVENTS // 10)]
    events.append(ThinkingSignature("c2ln"))
    events += [TextDelta(f"word{i} ") for i in range(STREAM_EVENTS - len(events) - 2)]
    events += [Usage(input_tokens=10, output_tokens=STREAM_EVENTS), Done("complete")]
    timings = []
    fold = AnswerBuilder("bench")
    for event in events:
        fold.apply(event)
        began = time.perf_counter()
        writer.update(fold.answer, final=isinstance(event, Done))
        timings.append(time.perf_counter() - began)
    assert writer.failed is None and writer.status == "complete"
    store.close()
    timings.sort()
    return {
        "events": len(events),
        "flushes": writer.flushes,
        "apply_median_ms": statistics.median(timings) * 1000,
        "apply_avg_ms": statistics.fmean(timings) * 1000,
        "apply_p99_ms": timings[int(len(timings) * 0.99)] * 1000,
        "apply_max_ms": timings[-1] * 1000,
        "answer_chars": len(writer.text),
    }


def written_bytes() -> int:
    """Bytes this process (the writer thread included) has handed to write(2) so far."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise OSError("no wchar in /proc/self/io")


def answer_writes(folder: Path, answer_mb: float, chunk_chars: int = 400) -> dict[str, float]:
    """What streaming one long answer writes: bytes written per byte of answer. A flush
    every 20 events; linear if each flush appends only what is new."""
    path = folder / "long-answer.db"
    store = Store.open(path, clock=SteppingClock(1 / EVENTS_PER_SECOND))
    conv = store.create_conversation("bench-model")
    store.add_user_message(conv, "write forever")
    writer = store.begin_answer(conv, "bench-model", provider="bench")
    piece = ("lorem ipsum dolor sit amet " * (chunk_chars // 27 + 1))[:chunk_chars]
    events = int(answer_mb * 1e6 / chunk_chars)
    before = written_bytes()
    for _ in range(events):
        writer.apply(TextDelta(piece))
        writer.wait()  # each flush lands before the next: the worst case, no coalescing
    writer.apply(Done("complete"))
    assert writer.wait() and writer.failed is None
    store.close()
    written = written_bytes() - before
    answer = events * chunk_chars
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {"answer_mb": answer / 1e6, "written_mb": written / 1e6, "written_per_answer_byte": written / answer}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="OUT", help="also write the results here")
    parser.add_argument("--answer-mb", type=float, nargs="*", default=[2.0, 8.0],
                        help="long answers to stream, measuring the bytes written (linear: the same per byte)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.messages <= BIG_CONVERSATION_MESSAGES or args.conversations < 2:
        parser.error(f"need more than {BIG_CONVERSATION_MESSAGES} messages and 2 conversations")

    folder = Path(tempfile.mkdtemp(prefix="rtchat-bench-"))
    path = folder / "history.db"
    began = time.perf_counter()
    with Store.open(path) as store:
        corpus = build(store, args.conversations, args.messages, args.seed)
    build_s = time.perf_counter() - began

    store = Store.open(path)
    big_id = corpus["big_id"]
    results: dict[str, object] = {
        "conversations": args.conversations,
        "messages": args.messages,
        "build_s": round(build_s, 2),
        "db_mb": round(path.stat().st_size / 1e6, 1),
        "open_ms": median_ms(lambda: Store.open(path).close(), args.repeats),
        "list_ms": median_ms(lambda: store.list_conversations(), args.repeats),
        "list_filter_ms": median_ms(lambda: store.list_conversations(corpus["filter_word"]), args.repeats),
        "list_filter_no_match_ms": median_ms(lambda: store.list_conversations("no such title"), args.repeats),
        "search_rare_ms": median_ms(lambda: store.search(RARE_WORD), args.repeats),
        "search_common_ms": median_ms(lambda: store.search(corpus["common_word"]), args.repeats),
        "search_two_words_ms": median_ms(
            lambda: store.search(f"{corpus['common_word']} {RARE_WORD}"), args.repeats
        ),
        "search_part_of_word_ms": median_ms(lambda: store.search(RARE_WORD[1:]), args.repeats),
        "search_no_match_ms": median_ms(lambda: store.search("qqzzqqzz"), args.repeats),
        "search_p95_ms": search_p95(
            store,
            [RARE_WORD, corpus["common_word"], f"{corpus['common_word']} {RARE_WORD}", RARE_WORD[1:], "qqzzqqzz"],
            args.repeats,
        ),
        "load_1000_ms": median_ms(lambda: store.load_conversation(big_id), args.repeats),
        "to_conversation_1000_ms": median_ms(lambda: store.to_conversation(big_id), args.repeats),
    }
    assert len(store.load_conversation(big_id)[1]) == BIG_CONVERSATION_MESSAGES
    assert store.search(RARE_WORD), "the planted word is found"
    assert store.search(RARE_WORD[1:]), "and a part of it"
    assert len(store.search(corpus["common_word"])) == 50, "a common word fills the page"
    assert len(store.list_conversations()) == min(200, args.conversations)
    store.close()
    results.update(stream_cost(path))
    for size in args.answer_mb:
        writes = answer_writes(folder, size)
        results[f"long_answer_{size:g}mb_written_mb"] = round(writes["written_mb"], 1)
        results[f"long_answer_{size:g}mb_written_per_byte"] = round(writes["written_per_answer_byte"], 1)

    targets = {
        "list_ms": 300,
        "list_filter_ms": 300,
        "list_filter_no_match_ms": 300,
        "search_rare_ms": 200,
        "search_common_ms": 200,
        "search_two_words_ms": 200,
        "search_part_of_word_ms": 200,
        "search_no_match_ms": 200,
        "search_p95_ms": 200,
        "load_1000_ms": 1000,
        "apply_avg_ms": 1,
    }
    results["targets_met"] = all(results[name] < limit for name, limit in targets.items())

    print(f"{args.conversations} conversations, {args.messages} messages, "
          f"{results['db_mb']} MB, built in {results['build_s']} s")
    print(f"{'measure':<26}{'result':>12}{'target':>10}")
    for name, value in results.items():
        if name.endswith("_ms"):
            target = f"< {targets[name]}" if name in targets else ""
            print(f"{name:<26}{value:>9.3f} ms{target:>10}")
    print(f"{'events / flushes':<26}{results['events']:>9} / {results['flushes']}")
    for name, value in results.items():
        if name.startswith("long_answer_"):
            print(f"{name:<34}{value:>9}")
    print("all targets met" if results["targets_met"] else "SOME TARGETS MISSED")

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if args.keep:
        print(f"kept {folder}")
    else:
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()
    return 0 if results["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Soak: many turns against the loopback with random interrupts and drops; nothing may be lost.

    python benchmarks/soak.py [--minutes 30] [--json OUT]

Each turn picks a protocol (SSE or WebSocket), a model (echo, lorem, or a fault
model that drops or errors mid-reply) and maybe an interrupt after a few
tokens. Every turn is recorded through the same TurnRecorder the app uses, into
a SQLite file. At the end the history is read back and checked: every prompt is
there, every answer holds exactly the text that was shown, with the right
status. Memory (RSS) is sampled throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtchat.config import load_config  # noqa: E402
from rtchat.conversation import ChatMessage, Conversation  # noqa: E402
from rtchat.events import Done, TextDelta  # noqa: E402
from rtchat.history import TurnRecorder  # noqa: E402
from rtchat.loopback import start_loopback  # noqa: E402
from rtchat.session import Session  # noqa: E402
from rtchat.store import Store  # noqa: E402

MODELS = ["echo@rate=2000", "lorem@rate=3000", "fault-drop", "fault-error-midstream", "fault-close-midreply", "echo@rate=500"]
STATUS = {"complete": "complete", "interrupted": "interrupted", "error": "error"}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(minutes: float, seed: int, server_url: str | None) -> dict:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="rtchat-soak-"))
    store = Store.open(folder / "history.db")
    server = None if server_url else await start_loopback()
    base = (server_url or server.url) + "/v1"
    session = Session(load_config())
    started = time.monotonic()
    timeline: list[tuple[float, float]] = [(0.0, rss_mb())]
    expected: list[tuple[int, str, str, str]] = []  # (conversation id, prompt, shown text, status)
    reasons: dict[str, int] = {}
    turns = 0
    deadline = time.monotonic() + minutes * 60
    try:
        while time.monotonic() < deadline:
            protocol = rng.choice(["sse", "websocket"])
            recorder = TurnRecorder(store, warn=lambda text: print("warning:", text, file=sys.stderr))
            recorder.start("loopback/echo", protocol, None)
            conversation = Conversation()
            for _ in range(rng.randint(1, 4)):
                model = rng.choice(MODELS)
                target = await session.resolve(f"loopback/{model}", base)
                prompt = f"turn {turns} {rng.random():.6f}"
                conversation.add_user(prompt)
                recorder.prompt(prompt)
                recorder.begin_answer(target.ref, target.provider.id)
                turn = session.turn(target, conversation, protocol=protocol)
                cancel_after = rng.choice([None, None, 1, 5, 40])
                shown: list[str] = []
                reason = "error"
                async for event in turn.events():
                    recorder.update(turn.answer, final=isinstance(event, Done))
                    if isinstance(event, TextDelta):
                        shown.append(event.text)
                        if cancel_after is not None and len(shown) >= cancel_after:
                            turn.cancel()
                    if isinstance(event, Done):
                        reason = event.reason
                recorder.end_answer()
                text = "".join(shown)
                conversation.messages.append(ChatMessage("assistant", text))
                # a digest, not the text: the soak's own bookkeeping must not look like a leak
                expected.append((recorder.conversation_id, prompt, digest(text), STATUS.get(reason, "complete")))
                reasons[reason] = reasons.get(reason, 0) + 1
                turns += 1
            if time.monotonic() - started > len(timeline) * 60:
                timeline.append((round((time.monotonic() - started) / 60, 1), round(rss_mb(), 1)))
    finally:
        await session.aclose()
        if server is not None:
            await server.close()
    memory = [rss for _, rss in timeline] + [rss_mb()]
    lost = check(store, expected)
    store.close()
    return {"minutes": minutes, "turns": turns, "reasons": reasons, "rss_mb_start": round(memory[0], 1), "rss_mb_end": round(memory[-1], 1), "rss_mb_max": round(max(memory), 1), "rss_mb_by_minute": timeline, "lost": lost, "db": str(folder / "history.db")}


def check(store: Store, expected) -> list[str]:
    """Every prompt and every shown answer is in the history, with its status."""
    problems = []
    by_conversation: dict[int, list] = {}
    for conv_id, prompt, text, status in expected:
        by_conversation.setdefault(conv_id, []).append((prompt, text, status))
    for conv_id, turns in by_conversation.items():
        _, messages = store.load_conversation(conv_id)
        prompts = [m for m in messages if m.role == "user"]
        answers = [m for m in messages if m.role == "assistant"]
        if [m.text for m in prompts] != [t[0] for t in turns]:
            problems.append(f"conversation {conv_id}: prompts differ")
        for (prompt, text, status), answer in zip(turns, answers):
            if digest(answer.text) != text:
                problems.append(f"conversation {conv_id}: answer to {prompt!r} differs from what was shown")
            if answer.status != status:
                problems.append(f"conversation {conv_id}: answer to {prompt!r} is {answer.status}, expected {status}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-process-server", action="store_true", help="run the loopback in this process (its memory then counts too)")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.in_process_server:
        result = asyncio.run(soak(args.minutes, args.seed, None))
    else:
        from benchmarks._common import loopback_process

        with loopback_process() as url:  # the server's memory is not rtchat's: measure the client alone
            result = asyncio.run(soak(args.minutes, args.seed, url))
    print(json.dumps({k: v for k, v in result.items() if k != "lost"}, indent=2))
    print(f"lost or wrong: {len(result['lost'])}")
    for problem in result["lost"][:20]:
        print("  ", problem)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    sys.exit(1 if result["lost"] else 0)


if __name__ == "__main__":
    main()

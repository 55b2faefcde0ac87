"""A real `kill -9` in the middle of a streamed answer loses neither the prompt nor
anything streamed more than a second before the kill."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from rtchat.store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
from rtchat.answer import AnswerBuilder
from rtchat.events import TextDelta
from rtchat.store import Store

store = Store.open(sys.argv[1])
conv = store.create_conversation("crash-model")
store.add_user_message(conv, "the prompt that must survive")
writer = store.begin_answer(conv, "crash-model")
answer = AnswerBuilder()  # the turn's fold: the writer is handed its answer
seen = 0
i = 0
while True:
    answer.apply(TextDelta(f"<{i}>"))
    writer.update(answer.answer)
    print(f"applied {i}", flush=True)
    if writer.flushes != seen:
        seen = writer.flushes
        print(f"flushed {seen}", flush=True)
    i += 1
    time.sleep(0.02)  # the scenario: a model's answer drips in until the kill
"""


def test_kill_9_mid_answer_keeps_prompt_and_flushed_text(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    applied_at: dict[int, float] = {}  # delta index -> when the parent saw it applied
    flushes = 0
    deadline = time.monotonic() + 20
    try:
        assert child.stdout is not None
        third_flush_at = None
        # Kill between flushes: a quarter second after the third one.
        while third_flush_at is None or time.monotonic() < third_flush_at + 0.25:
            line = child.stdout.readline()
            assert line, f"child ended early: {child.stderr.read() if child.stderr else ''}"
            assert time.monotonic() < deadline, "child too slow"
            kind, number = line.split()
            if kind == "applied":
                applied_at[int(number)] = time.monotonic()
            else:
                flushes = int(number)
                if flushes == 3:
                    third_flush_at = time.monotonic()
    finally:
        killed_at = time.monotonic()
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    # Straight after the kill the answer is still marked as streaming...
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT status FROM messages WHERE role = 'assistant'").fetchall() == [("streaming",)]
    raw.close()

    # ...and opening the store recovers it.
    with Store.open(path) as store:
        conv = store.last_conversation_id()
        assert conv is not None
        _, (prompt, answer) = store.load_conversation(conv)
    assert (prompt.role, prompt.text) == ("user", "the prompt that must survive")
    assert answer.status == "interrupted"

    saved = [int(n) for n in re.findall(r"<(\d+)>", answer.text)]
    assert saved == list(range(len(saved))), "the saved answer is an unbroken prefix"
    old_enough = [i for i, seen in applied_at.items() if seen < killed_at - 1.0]
    assert old_enough, "the child streamed for more than a second"
    assert max(old_enough) < len(saved), "text applied over a second before the kill was lost"

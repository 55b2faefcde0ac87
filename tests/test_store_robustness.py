"""The history against absurd server numbers, other local users, and a damaged file: real `rtchat`
processes, a real server on 127.0.0.1 and the real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
from pathlib import Path

from rtchat.events import Done, TextDelta, Usage
from rtchat.history import TurnRecorder
from rtchat.store import Store
from tests.support.answers import Feed, answer_of
from tests.support.canned_sse import canned_provider_config, canned_sse, chat_frames
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.store import stored_conversation


def run(tmp_path, *args, **env):
    return subprocess.run(rtchat_cmd(*args), env=isolated_env(tmp_path, **env), capture_output=True, text=True, timeout=60)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


HUGE_USAGE = chat_frames(
    '{"choices":[{"index":0,"delta":{"content":"a perfectly good answer"},"finish_reason":"stop"}]}',
    '{"choices":[],"usage":{"prompt_tokens":10000000000000000000,"completion_tokens":7}}',
)


def test_token_counts_sqlite_cannot_hold_still_leave_the_answer_saved(tmp_path):
    with canned_sse(HUGE_USAGE) as url:
        canned_provider_config(tmp_path / "config", url)
        asked = run(tmp_path, "ask", "-m", "canned/m", "hi")
    assert asked.returncode == 0, asked.stderr
    assert "a perfectly good answer" in asked.stdout
    exported = run(tmp_path, "export", "last", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    answer = json.loads(exported.stdout)["messages"][-1]
    assert (answer["text"], answer["status"]) == ("a perfectly good answer", "complete")
    assert answer["input_tokens"] is None and answer["output_tokens"] == 7


def test_the_store_boundary_turns_impossible_numbers_into_not_said(tmp_path):
    """Whatever the usage parser lets through, SQLite's integer range and plausible money hold here."""
    with Store.open(tmp_path / "history.db") as store:
        conv = store.create_conversation("m")
        feed = Feed(store.begin_answer(conv, "m"))
        feed(TextDelta("kept"))
        feed(Usage(input_tokens=10**19, output_tokens=10**12, cached_tokens=10**400))
        feed(Done("complete"))
        writer = feed.writer
        assert writer.wait() and writer.failed is None
        answer = store.load_conversation(conv)[1][-1]
        assert (answer.text, answer.status) == ("kept", "complete")
        assert (answer.input_tokens, answer.output_tokens, answer.cached_tokens) == (None, 10**12, None)


def test_history_and_wire_log_are_private_and_old_ones_are_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    db = data / "history.db"
    sqlite3.connect(db).close()  # an older rtchat's file: 0644 under the usual umask
    db.chmod(0o644)
    asked = run(tmp_path, "ask", "--debug", "hello")
    assert asked.returncode == 0, asked.stderr
    assert mode(data) == 0o700
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists():
            assert mode(path) == 0o600, path
    logs = tmp_path / "state" / "logs"
    assert mode(logs) == 0o700 and [mode(p) for p in logs.iterdir()] == [0o600]

    fresh = tmp_path / "fresh"
    assert run(fresh, "ask", "hello").returncode == 0
    assert mode(fresh / "data") == 0o700 and mode(fresh / "data" / "history.db") == 0o600


def test_a_parent_cycle_in_a_damaged_history_does_not_hang_export_or_branch_moves(tmp_path):
    db = stored_conversation(tmp_path, "first", "second")
    with sqlite3.connect(db) as conn:  # damage: the first prompt now follows the last answer
        conn.execute("UPDATE messages SET parent_id = (SELECT max(id) FROM messages) WHERE id = 1")
    exported = run(tmp_path, "export", "last", "--all-branches")
    assert exported.returncode == 0, exported.stderr
    assert "first" in exported.stdout and "second" in exported.stdout
    with Store.open(db) as store:  # a branch move walks the tree both ways
        assert store.select_branch(1, 1) in {1, 2, 3, 4}


def test_a_huge_answer_still_being_written_at_exit_is_not_called_locked(tmp_path):
    """Writing and indexing 20 MB takes about a second, past the close timeout (cut here to
    0.25 s, so the answer needs not be 60 MB), yet nothing waits for a lock: close waits for it,
    says nothing, and the answer is saved."""
    warnings: list[str] = []
    store = Store.open(tmp_path / "history.db", busy_timeout=0.05)
    store.close_timeout = 0.25
    recorder = TurnRecorder(store, warnings.append)
    recorder.start("m", "sse", None)
    recorder.prompt("say a lot")
    recorder.begin_answer("m", "p")
    fold = answer_of(TextDelta("word " * 4_000_000), Done("complete"))
    recorder.update(fold.answer, final=True)
    recorder.close()
    assert warnings == []
    with Store.open(tmp_path / "history.db") as store:
        answer = store.load_conversation(1)[1][-1]
        assert (len(answer.text), answer.status) == (20_000_000, "complete")


def test_a_history_locked_by_another_program_at_exit_is_still_said(tmp_path):
    warnings: list[str] = []
    recorder = TurnRecorder(Store.open(tmp_path / "history.db", busy_timeout=0.05), warnings.append)
    recorder.start("m", "sse", None)
    recorder.prompt("hello")
    recorder.begin_answer("m", "p")
    locker = sqlite3.connect(tmp_path / "history.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        recorder.update(answer_of(TextDelta("hi"), Done("complete")).answer, final=True)
        recorder.close()
    finally:
        locker.execute("COMMIT")
        locker.close()
    assert len(warnings) == 1 and "locked" in warnings[0]


def test_an_attachment_whose_file_is_gone_is_said_in_export_and_resume(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("lava notes\n")
    db = stored_conversation(tmp_path, "summarise", attach=[notes])
    with sqlite3.connect(db) as conn:  # damage: the blob is gone, the attachment row stays
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM blobs")
    exported = run(tmp_path, "export", "last")
    assert exported.returncode == 0, exported.stderr
    assert "> 📎 notes.txt (missing: its file is no longer in the history)" in exported.stdout
    as_json = json.loads(run(tmp_path, "export", "last", "--format", "json").stdout)
    assert as_json["messages"][0]["missing_attachments"] == ["notes.txt"]
    resumed = run(tmp_path, "ask", "--continue", "and now?")
    assert resumed.returncode == 0, resumed.stderr
    said = [line for line in resumed.stderr.splitlines() if "missing from the history" in line]
    assert len(said) == 1 and "notes.txt" in said[0]


def test_two_processes_on_one_conversation_never_make_a_prompt_follow_a_prompt(tmp_path):
    """`ask --conversation 1 --edit X & ask --conversation 1 Y &`: each new message follows what
    its own process loaded and sent (a branch if another wrote meanwhile), so the tree keeps
    alternating roles: providers reject a prompt after a prompt."""
    stored_conversation(tmp_path, "first question")
    env = isolated_env(tmp_path)
    for round_ in range(3):
        edit = subprocess.Popen(rtchat_cmd("ask", "--conversation", "1", "--edit", f"edited {round_}"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        more = subprocess.Popen(rtchat_cmd("ask", "--conversation", "1", f"more {round_}"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for process in (edit, more):
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
    with sqlite3.connect(tmp_path / "data" / "history.db") as conn:
        edges = conn.execute(
            "SELECT c.role, p.role FROM messages c JOIN messages p ON p.id = c.parent_id"
        ).fetchall()
        kinds = conn.execute("SELECT role, count(*) FROM messages GROUP BY role ORDER BY role").fetchall()
        roots = conn.execute("SELECT role FROM messages WHERE parent_id IS NULL").fetchall()
    assert kinds == [("assistant", 7), ("user", 7)]
    assert len(edges) + len(roots) == 14 and set(roots) == {("user",)}
    assert all(child != parent for child, parent in edges), edges

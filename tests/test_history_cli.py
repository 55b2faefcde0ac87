"""History through the real CLI: ask stores turns, --continue, search, export, and kill -9 mid-answer."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time

from tests.support.env import isolated_env, rtchat_cmd, run_rtchat


def test_ask_continue_search_and_export(tmp_path):
    assert run_rtchat(tmp_path, "ask", "tell me about llamas").returncode == 0
    second = run_rtchat(tmp_path, "ask", "--continue", "and alpacas")
    assert "(turn 2)" in second.stdout
    listing = json.loads(run_rtchat(tmp_path, "history", "--json").stdout)
    assert len(listing) == 1 and listing[0]["messages"] == 4 and listing[0]["title"] == "tell me about llamas"
    hits = json.loads(run_rtchat(tmp_path, "history", "--json", "--search", "alpacas").stdout)
    assert hits and hits[0]["conversation_id"] == listing[0]["id"]
    markdown = run_rtchat(tmp_path, "export", "last").stdout
    assert "tell me about llamas" in markdown and "<details>" in markdown and "and alpacas" in markdown
    exported = json.loads(run_rtchat(tmp_path, "export", str(listing[0]["id"]), "--format", "json").stdout)
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant", "user", "assistant"]


def test_no_history_stores_nothing(tmp_path):
    assert run_rtchat(tmp_path, "ask", "--no-history", "secret musings").returncode == 0
    assert json.loads(run_rtchat(tmp_path, "history", "--json").stdout) == []


def test_broken_database_warns_once_and_the_answer_still_streams(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.db").write_bytes(b"this is not a database" * 100)
    result = run_rtchat(tmp_path, "ask", "still answer me")
    assert result.returncode == 0 and "still answer me" in result.stdout
    assert "history is off" in result.stderr and "Traceback" not in result.stderr


def test_kill_9_mid_answer_keeps_prompt_and_partial(tmp_path):
    """A real `rtchat ask` streaming lorem, killed with SIGKILL; the next start shows what it had."""
    proc = subprocess.Popen(rtchat_cmd("ask", "--jsonl", "-m", "loopback/lorem@rate=200", "write at length"), env=isolated_env(tmp_path), stdout=subprocess.PIPE, text=True)
    texts: list[tuple[float, str]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        event = json.loads(proc.stdout.readline())
        if event["type"] == "text":
            texts.append((time.monotonic(), event["text"]))
            if texts[-1][0] - texts[0][0] > 1.5:  # text older than a second, which is 2 flushes (0.5 s) old
                break
    killed_at = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # The next start recovers the answer; read it back through the real store.
    listing = json.loads(run_rtchat(tmp_path, "history", "--json").stdout)
    exported = json.loads(run_rtchat(tmp_path, "export", str(listing[0]["id"]), "--format", "json").stdout)
    prompt, answer = exported["messages"]
    assert prompt["text"] == "write at length"
    assert answer["status"] == "interrupted"
    older_than_a_second = "".join(text for at, text in texts if at < killed_at - 1.0)
    assert older_than_a_second and answer["text"].startswith(older_than_a_second)
    with sqlite3.connect(tmp_path / "data" / "history.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

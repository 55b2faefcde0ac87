"""A browser tab closed mid-answer keeps the partial answer, and the app leaves no temporary state.

The real `rtchat` process runs under Textual's web driver exactly as textual-serve
starts it (TEXTUAL_DRIVER set, the packet protocol on stdin and stdout), with the
test in the server's place: it types a prompt, waits until the streamed answer has
reached the history, and then ends the tab the way the server does. textual-serve,
on a WebSocket close, sends the packet {"type": "quit"} (app_service.stop); a server
stopped with ctrl+c or a service manager signals the app (SIGINT / SIGTERM); a
server that dies just closes the pipe. Each must leave the answer kept and
finished (marked interrupted by the app itself, not left 'streaming' as a kill
leaves it), and nothing behind in the temporary folder or beside the database.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from rtchat.store import Store
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.web_driver import packet, read_until_ready

ENDINGS = ("quit packet (tab closed)", "SIGTERM (server stopped)", "stdin closed (server gone)")


def flushed_answer(database: Path) -> str:
    """The answer text the app has flushed to the history so far ('' before its first flush)."""
    if not database.exists():
        return ""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        try:
            rows = conn.execute(
                "SELECT c.text FROM answer_chunks c JOIN messages m ON m.id = c.message_id WHERE m.role = 'assistant' ORDER BY c.id"
            ).fetchall()
        except sqlite3.OperationalError:  # the app is still making its tables
            return ""
    return "".join(text for (text,) in rows)


def history_opened(database: Path) -> bool:
    """The app has opened its history: that is after its first frame, with the input focused
    (keys that arrive before the app has mounted are lost, in a tab as in a terminal)."""
    if not database.exists():
        return False
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'answer_chunks'").fetchone() == (1,)


def wait_until(condition, child: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        assert time.monotonic() < deadline, what
        time.sleep(0.1)  # poll interval: the history file offers nothing to wait on


def end_tab(child: subprocess.Popen, ending: str) -> None:
    assert child.stdin is not None
    if ending.startswith("quit"):
        child.stdin.write(packet(b"M", json.dumps({"type": "quit"}).encode()))
        child.stdin.flush()
    elif ending.startswith("SIGTERM"):
        child.send_signal(signal.SIGTERM)
    else:
        child.stdin.close()


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_tab_ended_mid_answer_keeps_the_partial_answer_and_no_temp_state(tmp_path: Path, ending: str) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = isolated_env(
        tmp_path, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", COLUMNS="80", ROWS="24",
        TMPDIR=str(temp), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    database = tmp_path / "data" / "history.db"
    child = subprocess.Popen(
        rtchat_cmd("--model", "loopback/lorem@100"), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        read_until_ready(child)
        wait_until(lambda: history_opened(database), child, "the app never opened its history")
        assert child.stdin is not None
        child.stdin.write(packet(b"D", b"tell me a long story\r"))  # typed in the tab, then Enter
        child.stdin.flush()
        wait_until(lambda: len(flushed_answer(database)) >= 200, child, "the answer never reached the history")
        flushed = flushed_answer(database)
        end_tab(child, ending)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, child.stderr.read().decode() if child.stderr else ""

    with closing(sqlite3.connect(database)) as raw:  # as the app left it, before a Store's recovery marks anything
        assert raw.execute("SELECT status FROM messages WHERE role = 'assistant'").fetchall() == [("interrupted",)]
    with Store.open(database) as store:
        conversation = store.last_conversation_id()
        assert conversation is not None
        _, (prompt, answer) = store.load_conversation(conversation)
    assert prompt.text == "tell me a long story"
    assert answer.text.startswith(flushed), "the kept answer is what streamed, at least all flushed before the tab closed"

    assert list(temp.iterdir()) == [], "the app left files in the temporary folder"
    assert sorted(p.name for p in database.parent.iterdir()) == ["history.db"], "SQLite side files (-wal, -shm) were left"

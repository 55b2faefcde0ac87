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
from contextlib import closing
from pathlib import Path

import pytest

from rtchat.store import Store
from tests.support.web_driver import flushed_answer, history_opened, packet, read_until_ready, start_served_app, wait_until

ENDINGS = ("quit packet (tab closed)", "SIGTERM (server stopped)", "stdin closed (server gone)")


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
    database = tmp_path / "data" / "history.db"
    child = start_served_app(tmp_path, "loopback/lorem@100", TMPDIR=str(temp))
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

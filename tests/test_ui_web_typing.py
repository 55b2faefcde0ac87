"""Keys a tab sends while its app still starts reach the input, in order, ahead of later ones.

The real `rtchat` process under Textual's web driver, fed as textual-serve feeds it
(tests/support/web_driver.py): a browser tab is focused on load and the user may type
before the app's first frame; Textual dropped those keys on the still-empty screen.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.support.web_driver import history_opened, packet, read_until_ready, start_served_app, wait_until


def stored_prompts(database: Path) -> list[str]:
    """The prompts in the history, read-only (a Store would recover the running app's answer)."""
    if not history_opened(database):
        return []
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return [text for (text,) in conn.execute("SELECT text FROM messages WHERE role = 'user' ORDER BY id")]


def test_keys_typed_while_the_tab_loads_reach_the_input(tmp_path: Path) -> None:
    database = tmp_path / "data" / "history.db"
    child = start_served_app(tmp_path, "loopback/echo")
    try:
        read_until_ready(child)  # the driver runs: the app is still building its screen
        assert child.stdin is not None
        child.stdin.write(packet(b"D", b"typed early "))
        child.stdin.flush()
        wait_until(lambda: history_opened(database), child, "the app never opened its history")
        child.stdin.write(packet(b"D", b"and late\r"))
        child.stdin.flush()
        wait_until(lambda: stored_prompts(database), child, "the prompt was never sent")
        assert stored_prompts(database) == ["typed early and late"]
    finally:
        child.kill()
        child.wait()


def answered(database: Path, count: int) -> bool:
    if not history_opened(database):
        return False
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        done = conn.execute("SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'complete'").fetchone()[0]
    return done >= count


def test_the_tabs_keys_work_as_xterm_js_sends_them(tmp_path: Path) -> None:
    """The bytes xterm.js sends in Chromium on Linux, through the web driver's real parser: F10 is
    ESC [21~ (it switches protocol: the choice is saved to the config file), ctrl+j is LF and
    alt+enter is ESC CR (each adds a line), Enter is CR (it sends)."""
    database = tmp_path / "data" / "history.db"
    config = tmp_path / "config" / "config.toml"
    child = start_served_app(tmp_path, "loopback/echo")
    try:
        read_until_ready(child)
        assert child.stdin is not None
        child.stdin.write(packet(b"D", b"first\r"))
        child.stdin.flush()
        wait_until(lambda: answered(database, 1), child, "the first prompt was never answered")  # the model is ready
        child.stdin.write(packet(b"D", b"\x1b[21~"))
        child.stdin.flush()
        wait_until(lambda: config.exists() and "websocket" in config.read_text(), child, "F10 never switched protocol")
        child.stdin.write(packet(b"D", b"a\nb\x1b\rc\r"))
        child.stdin.flush()
        wait_until(lambda: answered(database, 2), child, "the second prompt was never answered")
        assert stored_prompts(database) == ["first", "a\nb\nc"]
    finally:
        child.kill()
        child.wait()

"""One line, no traceback, at the edges a user's machine has: a closed pipe, a broken keyring
setting, a full disk, a read-only history folder. Real processes; the disk and the folder are a
real tmpfs and a real read-only bind mount in a private mount namespace (`unshare -rm`)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from rtchat.store import Store
from rtchat.store.errors import explain
from tests.support.env import isolated_env, rtchat_cmd


def test_history_into_a_closed_pipe_ends_quietly(tmp_path):
    with Store.open(tmp_path / "data" / "history.db") as store:
        for number in range(600):  # ~100 KB of listing: more than a pipe holds, so the writer meets the closed end
            store.create_conversation("loopback/echo", title=f"conversation {number} " + "x" * 150)
    listing = " ".join(rtchat_cmd("history", "--limit", "1000"))
    result = subprocess.run(["sh", "-c", f"{listing} | head -1"], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.count("\n") == 1 and "conversation 599" in result.stdout
    assert result.stderr == ""


def test_an_unimportable_keyring_backend_is_one_line(tmp_path):
    env = isolated_env(tmp_path, PYTHON_KEYRING_BACKEND="nonexistent.Backend", OPENAI_API_KEY="sk-from-env")
    listed = subprocess.run(rtchat_cmd("keys", "list"), env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and listed.stdout == "openai\tenv:OPENAI_API_KEY\n"
    assert listed.stderr == (
        "rtchat: warning: PYTHON_KEYRING_BACKEND=nonexistent.Backend cannot be loaded (ModuleNotFoundError: "
        "No module named 'nonexistent'); unset it, or name an installed backend such as "
        "keyring.backends.SecretService.Keyring; showing keys from the environment only\n"
    )
    stored = subprocess.run(rtchat_cmd("keys", "set", "openai"), input="sk-new\n", env=env, capture_output=True, text=True, timeout=60)
    assert stored.returncode == 2 and stored.stderr.count("\n") == 1
    assert stored.stderr.startswith("rtchat: PYTHON_KEYRING_BACKEND=nonexistent.Backend cannot be loaded")


def in_private_mounts(script: str, env: dict) -> subprocess.CompletedProcess:
    """Run `script` (sh) as root of a private user and mount namespace; skip where that is not allowed."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged user and mount namespaces are not allowed here")
    return subprocess.run(["unshare", "-rm", "sh", "-ec", script], env=env, capture_output=True, text=True, timeout=120)


def test_a_full_disk_says_full_not_permissions_and_ask_still_answers(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    env = isolated_env(tmp_path, RTCHAT_DATA_DIR=str(disk / "data"))
    ask = " ".join(rtchat_cmd("ask", "-m", "loopback/echo", "still answered"))
    history = " ".join(rtchat_cmd("history"))
    # A history written while there was room, then the disk fills up; then a disk with no inode left.
    result = in_private_mounts(
        f"mount -t tmpfs -o size=256k tmpfs {disk}\n{ask} >/dev/null 2>&1\n"
        f"head -c 1000000 /dev/zero > {disk}/fill 2>/dev/null || true\n"
        f"{ask}\n{history}\n"
        f"umount {disk}\nmount -t tmpfs -o size=64k,nr_inodes=1 tmpfs {disk}\n{ask}\n",
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("still answered") == 3  # both answers, and the first one listed by `history`
    assert "Traceback" not in result.stderr and "permission" not in result.stderr.lower()
    lines = result.stderr.splitlines()
    # Whether the full disk is met opening the file or saving the first answer (and so whether
    # `history` needs its read-only fallback) depends on how full the file's pages are; either
    # way each ask says in one line that the disk is full, and nothing else is said.
    full = "the disk is full. Free some space; the current chat goes on, but it is not being saved."
    read_only = f"rtchat: reading the history read-only (full: {disk}/data/history.db)"
    assert sum(line.endswith(full) and line.startswith("rtchat: history is off for") for line in lines) == 2
    assert all(line.endswith(full) or line == read_only for line in lines)


def test_a_read_only_history_folder_still_lists_and_exports_and_ask_answers(tmp_path):
    env = isolated_env(tmp_path)
    data = tmp_path / "data"
    first = subprocess.run(rtchat_cmd("ask", "-m", "loopback/echo", "kept from before"), env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0
    run = lambda *args: " ".join(rtchat_cmd(*args))  # noqa: E731
    result = in_private_mounts(
        f"mount --bind {data} {data}\nmount -o remount,bind,ro {data}\n"
        f"{run('history')}\n{run('export', 'last')}\n{run('ask', '-m', 'loopback/echo', 'new answer')}\n",
        env,
    )
    assert result.returncode == 0, result.stderr
    assert "kept from before" in result.stdout  # listed and exported
    assert "# kept from before" in result.stdout and "new answer" in result.stdout
    lines = result.stderr.splitlines()
    assert lines[:2] == [f"rtchat: reading the history read-only (unwritable: {data}/history.db)"] * 2
    assert lines[2].startswith("rtchat: history is off for this session: ") and len(lines) == 3


def test_full_disk_wording_from_a_real_sqlite_full_error(tmp_path):
    """The wording path with SQLite's own 'database or disk is full', from a file capped by max_page_count."""
    path = tmp_path / "capped.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    conn.close()
    error = explain(raised.value, str(path), "save to")
    assert error.problem == "full" and "the disk is full" in str(error) and "permission" not in str(error).lower()

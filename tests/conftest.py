"""Shared fixtures."""

from pathlib import Path

import pytest

from rtchat.loopback import start_loopback
from tests.support.attachments import png
from tests.support.env import KEY_VARS, REPO
from tests.support.transports import TRANSPORTS


@pytest.fixture(scope="session", autouse=True)
def repo_root_stays_clean():
    """Fails the run when a test leaves a file at the repo root (a test editor once wrote one named
    `--wait` there from its working directory): tests write under tmp_path only."""
    before = {path.name for path in REPO.iterdir()}
    yield
    made_by_pytest = {"snapshot_report.html"}  # pytest-textual-snapshot's report of a failed run
    left = sorted(path.name for path in REPO.iterdir() if path.name not in before | made_by_pytest and not path.name.startswith("."))
    assert not left, f"tests left files at the repo root: {left}"


@pytest.fixture
async def loopback():
    """A loopback server on an ephemeral 127.0.0.1 port, closed after the test."""
    server = await start_loopback(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """rtchat in this process sees only `tmp_path`: own config/data/state/cache dirs, no keys, no OS keyring."""
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"RTCHAT_{name}_DIR", str(tmp_path / name.lower()))
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return tmp_path


@pytest.fixture(scope="session")
def pulseaudio_sink():
    """This worker's own PulseAudio null sink (started on first use, not at import); record from
    `f"{sink}.monitor"`. Skips without PulseAudio."""
    from tests.support.voice import null_sinks

    with null_sinks("null") as (sink,):
        yield sink


@pytest.fixture
def picture(tmp_path, monkeypatch):
    """pic.png in the current folder: typed as a short relative path (Pilot types ~60 ms a key)."""
    (tmp_path / "pic.png").write_bytes(png())
    monkeypatch.chdir(tmp_path)
    return Path("pic.png")


@pytest.fixture(params=list(TRANSPORTS))
def transport(request):
    """Each Realtime transport in turn (tests/support/transports.py): WebSocket, then WebRTC."""
    return TRANSPORTS[request.param]

"""The real `rtchat` process in a real terminal (tmux): ctrl+v reaches the app as a key and
attaches the image a real xclip holds on a real X clipboard (Xvfb); /share shows its red
indicator and ctrl+s stops it."""

from __future__ import annotations

import shutil

import pytest

from tests.support.attachments import png
from tests.support.clipboard import clipboard_owner
from tests.support.share_sources import make_video, xvfb
from tests.support.tmux import start, tmux, wait_screen

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def last_row(screen: str) -> str:
    """The footer: the screen's last row with text."""
    rows = screen.rstrip().splitlines()
    return rows[-1] if rows else ""


def test_ctrl_v_and_share_in_a_real_terminal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # rtchat starts here: the clip is typed as a short relative path
    make_video(tmp_path / "clip.mp4", [(255, 0, 0)] * 3)
    with xvfb(tmp_path) as display, clipboard_owner(display, png(), "image/png", tmp_path):
        session = start(tmp_path, "loopback/vision", 100, 30, DISPLAY=display)
        try:
            wait_screen(session, lambda s: "loopback/vision" in s and "idle" in s)
            tmux(session, "send-keys", "-t", session, "C-v")  # the byte a terminal sends for ctrl+v (0x16)
            wait_screen(session, lambda s: "clipboard-" in s and ".png · 12 KB ✕" in s)
            tmux(session, "send-keys", "-t", session, "-l", "/share clip.mp4")
            wait_screen(session, lambda s: s.count("clip.mp4") == 2)  # the completions caught up: Enter runs the line
            tmux(session, "send-keys", "-t", session, "Enter")
            wait_screen(session, lambda s: "sharing file clip.mp4 · 1 fps · 0 frames │ loopback/vision" in s and "^s Stop sharing" in last_row(s))
            tmux(session, "send-keys", "-t", session, "C-s")
            wait_screen(session, lambda s: "sharing file clip.mp4 ·" not in s and "Stop sharing" not in last_row(s) and "loopback/vision" in s)
        finally:
            tmux(session, "kill-server")

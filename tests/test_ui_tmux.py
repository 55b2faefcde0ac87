"""The real `rtchat` process in tmux: type, see the streamed answer, ctrl+c interrupts, ctrl+q quits."""

from __future__ import annotations

import shutil

import pytest

from tests.support.tmux import screen, start, tmux, wait_screen

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def blank_rows_under_text(text: str) -> int | None:
    """Empty rows between the last line of the transcript and the input box; None until the
    transcript is full (before that, room under a short answer is simply unused screen)."""
    rows = text.splitlines()
    top = next((i for i, row in enumerate(rows) if row.lstrip().startswith("▊▔")), None)
    if top is None:
        return None
    transcript = [row.replace("█", " ").strip() for row in rows[:top]]
    if not transcript or not transcript[0]:
        return None
    return len(transcript) - len("\n".join(transcript).rstrip().splitlines())


def test_80_columns_keep_tokens_per_second_and_no_gap_under_the_stream(tmp_path):
    session = start(tmp_path, "loopback/lorem", 80, 24)
    try:
        wait_screen(session, lambda s: "loopback/lorem" in s and "idle" in s)
        tmux(session, "send-keys", "-t", session, "-l", "write")
        tmux(session, "send-keys", "-t", session, "Enter")
        seen = []

        def full_and_streaming(text: str) -> bool:
            status = text.splitlines()[-2] if len(text.splitlines()) > 1 else ""
            gap = blank_rows_under_text(text)
            if "streaming" in status and gap is not None:
                seen.append((status, gap))
            return len(seen) >= 5

        wait_screen(session, full_and_streaming, timeout=30)
        for status, gap in seen:
            assert "tok/s" in status, status  # the status line drops other facts first
            assert gap <= 2, f"{gap} empty rows under the streaming text"
        tmux(session, "send-keys", "-t", session, "C-q")
        wait_screen(session, lambda s: "RTCHAT-EXITED-0" in s)
    finally:
        tmux(session, "kill-server")


def test_real_process_in_tmux(tmp_path):
    session = start(tmp_path, "loopback/echo", 120, 40)
    try:
        wait_screen(session, lambda s: "loopback/echo" in s and "SSE" in s)
        tmux(session, "send-keys", "-t", session, "-l", "hello tmux world")
        tmux(session, "send-keys", "-t", session, "Enter")
        wait_screen(session, lambda s: "You said" in s and "hello tmux world" in s and "done" in s)
        # switch to lorem through the model picker, then interrupt it
        tmux(session, "send-keys", "-t", session, "C-o")
        wait_screen(session, lambda s: "PROVIDER/MODEL" in s)
        tmux(session, "send-keys", "-t", session, "-l", "lorem")
        wait_screen(session, lambda s: "loopback/lorem" in s and "openai/gpt-5" not in s)  # the list is filtered
        tmux(session, "send-keys", "-t", session, "Enter")
        wait_screen(session, lambda s: "loopback/lorem" in s and "PROVIDER/MODEL" not in s)
        tmux(session, "send-keys", "-t", session, "-l", "write")
        tmux(session, "send-keys", "-t", session, "Enter")
        wait_screen(session, lambda s: "streaming" in s and "Loopback Document" in s)  # some of the answer is shown
        tmux(session, "send-keys", "-t", session, "C-c")
        wait_screen(session, lambda s: "interrupted" in s)
        assert "RTCHAT-EXITED" not in screen(session)  # ctrl+c never quits
        tmux(session, "send-keys", "-t", session, "C-q")
        wait_screen(session, lambda s: "RTCHAT-EXITED-0" in s)
    finally:
        tmux(session, "kill-server")


def test_ctrl_e_hands_the_terminal_to_the_editor_and_takes_the_text_back(tmp_path):
    """The real suspend: the editor (a script that reads the terminal, so it needs it) runs with
    the app suspended, and its edit comes back into the input."""
    editor = tmp_path / "editor"
    editor.write_text('#!/bin/sh\nprintf "editor has the terminal"\nread answer\nprintf " plus %s\\n" "$answer" >> "$1"\n')
    editor.chmod(0o755)
    session = start(tmp_path, "loopback/echo", 80, 24, VISUAL=str(editor))
    try:
        wait_screen(session, lambda s: "idle" in s)
        tmux(session, "send-keys", "-t", session, "-l", "draft")
        tmux(session, "send-keys", "-t", session, "C-e")
        wait_screen(session, lambda s: "editor has the terminal" in s)
        tmux(session, "send-keys", "-t", session, "-l", "typed in the editor")
        tmux(session, "send-keys", "-t", session, "Enter")
        # The draft was written with its trailing newline: the appended text is a line of its own.
        wait_screen(session, lambda s: "draft" in s and "plus typed in the editor" in s and "draft plus" not in s and "idle" in s)
    finally:
        tmux(session, "kill-server")


def test_a_1_mb_bracketed_paste_becomes_a_pending_file_and_the_keys_after_it_echo(tmp_path):
    """A real terminal paste (tmux sends it bracketed): parsed whole, offered as paste.txt, the
    input left to the keys typed after it (before: seconds of parsing, then a 1 MB input)."""
    pasted = tmp_path / "paste"
    pasted.write_text("lorem ipsum dolor sit amet\n" * 40_000)  # 1.0 MB
    session = start(tmp_path, "loopback/echo", 100, 30)
    buffer = f"{session}-paste"
    try:
        wait_screen(session, lambda s: "idle" in s)
        tmux(session, "load-buffer", "-b", buffer, str(pasted))
        tmux(session, "paste-buffer", "-p", "-d", "-b", buffer, "-t", session)  # -p: bracketed, as the app asked
        tmux(session, "send-keys", "-t", session, "-l", "QQQ")
        text = wait_screen(session, lambda s: "paste.txt · 1.0 MB ✕" in s and "QQQ" in s, timeout=60)
        assert "lorem ipsum" not in text, "the paste is a file, not text in the input"
    finally:
        tmux(session, "kill-server")

"""Snapshots at 80x24 of what the input gained: the slash completion popup, the
system-prompt screen, and attachment chips (pending above the input, sent in the prompt).
Driven by key presses against the real loopback; timings frozen (tests/support/snap.py)."""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from rtchat.config import config_path
from tests.support.snap import run_before
from tests.support.ui import command, idle, make_app, paste, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

SIZE = (80, 24)


def test_slash_completion_popup(snap_compare, monkeypatch):
    async def steps(pilot):
        await pilot.press("/", "e")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before(monkeypatch, steps, from_idle=True, without_toasts=True))


def test_system_prompt_screen(snap_compare, monkeypatch):
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text('[personas.coder]\nprompt = "You write Python."\n\n[personas.poet]\nprompt = "Rhyme."\n')

    async def steps(pilot):
        await pilot.press("f6")
        pilot.app.screen.query_one(TextArea).cursor_blink = False
        await paste(pilot, "You are a careful reviewer. Point at the line, say why, stop.")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before(monkeypatch, steps, from_idle=True, without_toasts=True))


def test_attachment_chips(snap_compare, monkeypatch, tmp_path):
    (tmp_path / "notes.txt").write_text("the pelican is in the notes file\n")
    (tmp_path / "plan.md").write_text("# plan\n")
    monkeypatch.chdir(tmp_path)  # typed as short relative paths: Pilot types ~60 ms a key
    notes, plan = "notes.txt", "plan.md"

    async def steps(pilot):
        app = pilot.app
        await command(pilot, "/system Be brief.")
        await command(pilot, f"/attach {notes}")
        await wait_for(pilot, lambda: len(app.pending.files) == 1)  # read by a worker
        await command(pilot, "summarise")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        await command(pilot, f"/attach {plan}")
        await wait_for(pilot, lambda: len(app.composer.pending.children) == 1)
        app.transcript.scroll_home(animate=False, immediate=True)  # the sent prompt's chip in view

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before(monkeypatch, steps, from_idle=True, without_toasts=True))

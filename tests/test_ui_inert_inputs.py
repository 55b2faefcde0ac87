"""Text put into an input widget is as inert as text shown in the transcript.

A stored prompt or system prompt holding escape sequences (an OSC title, a CSI
clear-screen, their C1 forms) used to go raw into a TextArea when edited (`e`, F6)
or when $EDITOR handed it back (ctrl+e), and the TextArea wrote them to the
terminal. Real app under run_test, real SQLite; what is checked is the widget's
document and the terminal sequence its lines render to (`Strip.render`, the same
text the compositor hands the driver: run_test's headless driver writes nothing)."""

from __future__ import annotations

import re
import subprocess

import pytest
from textual import events
from textual.widgets import Input, TextArea

from rtchat.store import Store, default_path
from rtchat.ui.screens.rename import RenameDialog
from rtchat.ui.screens.system_prompt import SystemPromptScreen
from rtchat.ui.widgets.transcript.messages import UserMessage
from tests.support.ui import make_app, ready, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

SIZE = (100, 30)
PROMPT = "edit me \x1b]0;PWNED-PROMPT\x07 then \x1b[2J\x1b[H and C1 \x9b2J \x9d2;PWNED-C1\x9c end"
SYSTEM = "be brief \x1b]2;PWNED-SYS\x1b\\ \x1b[2J\x1b[3J \x9b31m red"
EDITOR_OUTPUT = r"\033]0;PWNED-EDITOR\007\033[2J\302\233" "2J"  # printf: OSC title, CSI clear, C1 CSI
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE = re.compile("\x1b\\]|\x1b\\[[23]J|\x1b\\[H|[\x80-\x9f]")  # title, clear, home, any C1


def terminal_output(app, area: TextArea | Input) -> str:
    """What the widget's visible lines become on the terminal (styles as CSI SGR, then the text)."""
    return "".join(area.render_line(y).render(app.console) for y in range(area.size.height))


def assert_inert(app, area: TextArea | Input, shown: str) -> None:
    text = area.text if isinstance(area, TextArea) else area.value
    assert not CONTROLS.search(text), repr(text)
    assert shown in text, "the words stay, only the controls are made visible and inert"
    written = terminal_output(app, area)
    assert shown in written, "the check looks at the lines that hold the text"
    assert not HOSTILE.search(written), repr(written)


def stored_conversation() -> int:
    with Store.open(default_path()) as store:
        conversation = store.create_conversation("loopback/echo", system=SYSTEM)
        store.add_user_message(conversation, PROMPT)  # unanswered: the edit needs only the prompt
    return conversation


async def test_editing_a_hostile_prompt_and_system_prompt_writes_no_control_to_the_terminal():
    conversation = stored_conversation()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.open_conversation(conversation).wait()
        await wait_for(pilot, lambda: app.transcript.query(UserMessage))
        app.transcript.query_one(UserMessage).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: "PWNED-PROMPT" in app.prompt.text and app.prompt.has_focus)
        await pilot.pause()
        assert app.prompt.text.startswith("edit me ␛]0;PWNED-PROMPT")
        assert_inert(app, app.prompt, "PWNED-C1")

        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        assert area.text.startswith("be brief ␛]2;PWNED-SYS")
        assert_inert(app, area, "PWNED-SYS")


async def test_what_the_editor_hands_back_is_made_inert(tmp_path, monkeypatch):
    editor = tmp_path / "hostile-editor"
    editor.write_text(f'#!/bin/sh\nfor file; do :; done\nprintf "{EDITOR_OUTPUT}" > "$file"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    app = make_app()
    app.editor_runner = lambda command: subprocess.call(command, stdin=subprocess.DEVNULL)  # no terminal to hand over
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.prompt.load_text("draft")
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: "PWNED-EDITOR" in app.prompt.text)
        await pilot.pause()
        assert_inert(app, app.prompt, "PWNED-EDITOR")


async def test_a_paste_and_a_hostile_title_in_the_rename_box_are_made_inert():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.prompt.focus()
        app.post_message(events.Paste("pasted \x1b]0;PWNED-PASTE\x07\x1b[2J\x9b2J"))  # as the driver delivers a paste
        await wait_for(pilot, lambda: "PWNED-PASTE" in app.prompt.text)
        await pilot.pause()
        assert_inert(app, app.prompt, "PWNED-PASTE")

        app.push_screen(RenameDialog("title \x1b]2;PWNED-TITLE\x07\x1b[2J\x9d0;x\x9c"))
        await wait_for(pilot, lambda: isinstance(app.screen, RenameDialog))
        await pilot.pause()
        box = app.screen.query_one(Input)
        assert box.value.startswith("title ␛]2;PWNED-TITLE")
        assert_inert(app, box, "PWNED-TITLE")

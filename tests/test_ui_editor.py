"""ctrl+e: the input's text goes to $VISUAL / $EDITOR and comes back unchanged but for the edit.

The editor is a real subprocess: a small shell script set as $VISUAL. The one fake is at
the true edge: the app under run_test has no terminal to hand over, so the test gives it a
runner that starts the editor without one (`editor_runner`); the default suspends the app."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from rtchat.ui.controllers.editor import editor_command
from tests.support.ui import make_app, notices, ready

pytestmark = pytest.mark.usefixtures("isolated")

TEXT = "line one  \n\n  ünïcode\t[bold]not markup[/]\n$HOME `date`"


def script(tmp_path, name: str, body: str):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def without_terminal(command: list[str]) -> int:
    return subprocess.call(command, stdin=subprocess.DEVNULL)


async def open_editor(monkeypatch, visual: str, text: str) -> tuple[str, list[str]]:
    monkeypatch.setenv("VISUAL", visual)
    # The editor runs in the working directory: an editor script that wrote to "$1" (`--wait`)
    # once left a file named `--wait` in the repo. The tests' scripts take tmp_path's as theirs.
    monkeypatch.chdir(Path(visual.split()[0]).parent)
    app = make_app()
    app.editor_runner = without_terminal
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.prompt.load_text(text)
        await pilot.press("ctrl+e")
        return app.prompt.text, notices(app)


async def test_text_comes_back_unchanged_when_the_editor_saves_it_as_is(tmp_path, monkeypatch):
    # Saved as vi saves: a final newline added only where one is missing (the draft has it already).
    editor = script(tmp_path, "resave", '[ -n "$(tail -c1 "$1")" ] && echo >> "$1"; exit 0\n')
    assert await open_editor(monkeypatch, str(editor), TEXT) == (TEXT, [])
    assert await open_editor(monkeypatch, str(editor), "ends with a newline\n") == ("ends with a newline\n", [])


async def test_the_draft_ends_with_a_newline_so_an_appended_line_stands_on_its_own(tmp_path, monkeypatch):
    editor = script(tmp_path, "note", 'cp "$1" "$(dirname "$0")/seen"; echo "appended line" >> "$1"\n')
    assert await open_editor(monkeypatch, str(editor), "draft") == ("draft\nappended line", [])
    assert (tmp_path / "seen").read_text() == "draft\n"


async def test_an_edit_comes_back_into_the_input(tmp_path, monkeypatch):
    editor = script(tmp_path, "append", 'for file; do :; done\nprintf "added by the editor\\n\\n" >> "$file"\n')  # the file is the last argument
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    text, said = await open_editor(monkeypatch, f"{editor} --wait", "draft")
    assert text == "draft\nadded by the editor\n" and said == []
    assert list(temp.iterdir()) == [], "the temporary file is gone"


async def test_a_failing_or_missing_editor_leaves_the_input_as_it_was(tmp_path, monkeypatch):
    failing = script(tmp_path, "fail", 'echo changed > "$1"; exit 3\n')
    assert await open_editor(monkeypatch, str(failing), "keep me") == ("keep me", [f"the editor {str(failing)!r} exited with status 3; the input is unchanged"])
    text, said = await open_editor(monkeypatch, str(tmp_path / "no-such-editor"), "keep me too")
    assert text == "keep me too" and said[0].startswith(f"cannot start the editor {str(tmp_path / 'no-such-editor')!r}")


async def test_without_a_terminal_to_hand_over_the_app_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("VISUAL", str(script(tmp_path, "never", "exit 0\n")))
    app = make_app()  # the default runner: suspend the app, which a headless test app cannot
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.prompt.load_text("stays")
        await pilot.press("ctrl+e")
        assert app.prompt.text == "stays" and notices(app) == ["this terminal cannot be handed to an editor"]


def test_which_editor():
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": "", "EDITOR": "nano -w"}) == ["nano", "-w"]
    assert editor_command({}) == ["vi"]

"""Slash commands in the input: the completion popup, Tab/Enter, each command running the
action its key runs, unknown commands kept in the input with one line; pure completion rules."""

from __future__ import annotations

import pytest

from rtchat.ui.controllers.slash import SLASH_COMMANDS, Completion, Sources, completions, enter_completes, parse, path_completions
from rtchat.ui.screens.help import HelpScreen
from rtchat.ui.screens.model_picker import ModelPicker
from tests.support.ui import command, make_app, notices, paste, ready, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def popup_rows(app) -> list[str]:
    popup = app.composer.popup
    return [item.label for item in popup.items] if popup.display else []


async def test_typing_slash_offers_every_command_and_tab_completes():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("/")
        assert [row.split()[0] for row in popup_rows(app)] == [f"/{c.name}" for c in SLASH_COMMANDS]
        await pilot.press("m", "o")
        assert popup_rows(app) == ["/model [MODEL]"]
        await pilot.press("tab")
        assert app.prompt.text == "/model "
        assert app.focused is app.prompt, "Tab completed instead of moving focus"
        await paste(pilot, "lor")
        assert popup_rows(app)[0] == "loopback/lorem"
        await pilot.press("enter")  # takes the highlighted model
        assert app.prompt.text == "/model loopback/lorem"
        await pilot.press("enter")  # runs it
        await wait_for(pilot, lambda: app.state.ref == "loopback/lorem" and app.state.ready.is_set())
        assert app.prompt.text == "" and app.status.facts.model == "loopback/lorem"


async def test_a_whole_command_name_runs_its_action_and_escape_closes_the_popup():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await paste(pilot, "/model")
        await pilot.press("enter")
        assert isinstance(app.screen, ModelPicker), "/model alone opens the picker, as ctrl+o does"
        await pilot.press("escape")
        await paste(pilot, "/he")
        assert app.composer.popup.display
        await pilot.press("escape")
        assert not app.composer.popup.display and app.prompt.text == "/he"
        await pilot.press("backspace", "backspace", *"help", "enter")
        assert isinstance(app.screen, HelpScreen)
        assert "/attach PATH" in str(app.screen.query_one("#help-text").render())


async def test_unknown_command_is_one_line_and_the_input_is_kept():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, "/frobnicate now")
        assert app.prompt.text == "/frobnicate now"
        assert notices(app) == ["unknown command /frobnicate — /help lists them (// sends a message starting with /)"]
        assert app.turns.idle and len(app.state.conversation.messages) == 0


async def test_double_slash_sends_a_message_starting_with_a_slash():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, "//etc/hosts is a file")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2)
        assert app.state.conversation.messages[0].text == "/etc/hosts is a file"


async def test_effort_protocol_and_bad_arguments():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await paste(pilot, "/effort hi")
        assert popup_rows(app) == ["high"]
        await pilot.press("enter", "enter")
        assert app.state.effort == "high" and app.status.facts.effort == "high"
        await command(pilot, "/effort loud")
        assert app.prompt.text == "/effort loud", "a bad level stays to be fixed"
        assert "not 'loud'" in notices(app)[-1]
        app.prompt.clear()
        await command(pilot, "/protocol websocket")
        await wait_for(pilot, lambda: app.state.protocol == "websocket")
        assert app.prompt.text == "" and app.status.facts.protocol == "websocket"
        await command(pilot, "/new extra")
        assert notices(app)[-1] == "/new takes no argument"


def test_completion_rules():
    sources = Sources(models=lambda: ["loopback/echo", "openai/gpt-4.1"], personas=lambda: ["coder", "poet"])
    assert completions("hello /model", sources) == []
    assert completions("//x", sources) == []
    assert [c.text for c in completions("/per", sources)] == ["/persona "]
    assert [c.text for c in completions("/persona p", sources)] == ["/persona poet"]
    assert [c.label for c in completions("/model gpt", sources)] == ["openai/gpt-4.1"]  # a part of the name matches too
    assert enter_completes("/mo", Completion("/model ", "")) is True
    assert enter_completes("/model", Completion("/model ", "")) is False
    assert enter_completes("/attach ", Completion("/attach a.txt", "")) is True  # nothing to run yet
    assert enter_completes("/persona poet", Completion("/persona poet", "")) is False
    assert parse("/attach").startswith("usage: /attach PATH")
    assert parse("/system  be brief ").action == "set_system_prompt('be brief')"


def test_path_completion_keeps_the_users_spelling(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "diagram.png").write_bytes(b"x")
    (tmp_path / ".hidden").write_text("x")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert path_completions("~/d") == ["~/docs/", "~/diagram.png"]
    assert path_completions("~") == ["~/docs/", "~/diagram.png"]
    assert path_completions("~/.h") == ["~/.hidden"]
    assert path_completions(str(tmp_path) + "/dia") == [str(tmp_path) + "/diagram.png"]
    monkeypatch.chdir(tmp_path)
    assert path_completions("do") == ["docs/"]
    assert path_completions("nowhere/x") == []


def test_share_completes_its_words_and_file_names_only_where_no_word_fits(tmp_path, monkeypatch):
    (tmp_path / "screenshots").mkdir()
    (tmp_path / "clip.mp4").write_bytes(b"x")
    (tmp_path / "off-cut.mp4").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)

    def labels(text: str) -> list[str]:
        return [c.label for c in completions(text, Sources())]

    assert labels("/share ") == ["screen", "camera", "off"]
    assert labels("/share scr") == ["screen"]  # not also the screenshots/ folder
    assert labels("/share o") == ["off"]
    assert labels("/share cl") == ["clip.mp4"]  # no word starts so: the files that do
    assert labels("/share off-") == ["off-cut.mp4"]
    assert labels("/share ./scr") == ["./screenshots/"]  # spelled as a path: files only
    assert [c.text for c in completions("/share scr", Sources())] == ["/share screen"]

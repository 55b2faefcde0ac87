"""Every slash command is also reachable by a key or the palette, and /export writes the
conversation as stored (Markdown or JSON), never over an existing file."""

from __future__ import annotations

import json

import pytest

from rtchat.ui.bindings import APP_BINDINGS, INPUT_BINDINGS
from rtchat.ui.commands import COMMANDS
from rtchat.ui.controllers.slash import SLASH_COMMANDS
from tests.support.ui import idle, make_app, notices, palette_offers, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def test_each_slash_command_has_a_key_or_palette_entry():
    reachable = {b.action for b in APP_BINDINGS + INPUT_BINDINGS} | {action for _, _, action in COMMANDS}
    for command in SLASH_COMMANDS:
        wanted = command.action or f"start_slash({command.name!r})"
        assert wanted in reachable, f"/{command.name} has no key or palette entry"


async def test_palette_reaches_the_system_prompt_and_attach():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p", *"attach a")
        await wait_for(pilot, lambda: palette_offers(app, "Attach a file"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.prompt.text == "/attach " and app.composer.popup.display)


async def test_export_writes_the_conversation_and_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*"/export", "enter")
        assert notices(app)[-1] == "nothing to export yet: send a prompt first" and app.prompt.text == "/export"
        app.prompt.clear()
        await send(pilot, "export me")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        conversation_id = app.history.conversation_id
        await pilot.press(*"/export", "enter")
        written = tmp_path / f"rtchat-{conversation_id}.md"
        await wait_for(pilot, lambda: notices(app)[-1] == f"exported to {written}")  # written on a thread
        assert "export me" in written.read_text()
        await pilot.press(*"/export", "enter")
        assert notices(app)[-1] == f"{written} exists; give /export another PATH"
        app.prompt.clear()
        await pilot.press(*"/export out.json", "enter")
        data = json.loads((tmp_path / "out.json").read_text())
        assert [m["role"] for m in data["messages"]] == ["user", "assistant"]

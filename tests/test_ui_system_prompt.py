"""The system prompt in the app: set by /system, the F6 screen or a persona; sent in each
wire's own field (checked in the request bodies the loopback recorded, and in what the
echo model says it got); kept with the conversation and back when it is reopened."""

from __future__ import annotations

import pytest

from rtchat.config import config_path
from rtchat.store import Store
from rtchat.ui.screens.system_prompt import SystemPromptScreen
from tests.support.ui import answers, command, idle, loopback_app, make_app, notices, paste, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

SYSTEM = "You are terse. Answer in one line."  # 34 characters

# wire -> (model, where the wire carries the system prompt in the request body)
WIRES = {
    "openai_chat": ("loopback/echo", lambda body: body["messages"][0] == {"role": "system", "content": SYSTEM}),
    "anthropic": ("anthropic/echo", lambda body: body["system"] == SYSTEM),
    "gemini": ("gemini/echo", lambda body: body["systemInstruction"] == {"parts": [{"text": SYSTEM}]}),
    "openai_responses": ("responses/echo", lambda body: body["instructions"] == SYSTEM),
}


@pytest.mark.parametrize("wire", list(WIRES))
async def test_system_prompt_goes_in_each_wires_own_field_and_is_stored(monkeypatch, wire):
    model, carried = WIRES[wire]
    app = loopback_app(monkeypatch, model)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, f"/system {SYSTEM}")
        assert app.prompt.text == ""
        assert "system (34 chars): You are terse." in str(app.composer.system_line.render())
        await send(pilot, "hello")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        body = app.session._loopback.records[-1].request_json
        assert carried(body), body
        assert "a system prompt of 34 characters" in answers(app)[0]
        conversation_id = app.history.conversation_id
    with Store.open() as store:
        assert store.to_conversation(conversation_id).system == SYSTEM


async def test_screen_sets_changes_and_the_prompt_comes_back_on_reopen():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "first")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        assert "system prompt" not in answers(app)[0]
        await pilot.press("f6")
        assert isinstance(app.screen, SystemPromptScreen)
        await pilot.press(*"Be kind.", "ctrl+s")
        assert app.state.conversation.system == "Be kind."
        await send(pilot, "second")  # set mid-conversation: the stored conversation changes too
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 2)
        assert "a system prompt of 8 characters" in answers(app)[1]
        conversation_id = app.history.conversation_id
        await pilot.press("f6")
        assert app.screen.query_one("TextArea").text == "Be kind."  # shows what is set
        await pilot.press("escape")
        assert app.state.conversation.system == "Be kind."  # Esc changes nothing
        await command(pilot, "/clear")
        await wait_for(pilot, lambda: app.history.conversation_id is None and app.transcript.empty)
        assert app.state.conversation.system == "Be kind.", "/clear keeps the system prompt"
        await command(pilot, "/new")
        await wait_for(pilot, lambda: app.state.conversation.system is None)
        assert not app.composer.system_line.display
        await app.open_conversation(conversation_id).wait()  # the worker has shown it, switched the model and focused the prompt
        await wait_for(pilot, lambda: "system (8 chars): Be kind." in str(app.composer.system_line.render()))
        assert app.history.conversation_id == conversation_id and app.state.conversation.system == "Be kind."
        await pilot.press("f6", "ctrl+a", "shift+end", "backspace", "ctrl+s")  # empty clears it
        assert app.state.conversation.system is None
    with Store.open() as store:
        assert store.to_conversation(conversation_id).system is None


async def test_persona_brings_prompt_model_and_effort_with_completed_name():
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[personas.coder]\nprompt = "You write Python."\nmodel = "loopback/lorem"\neffort = "high"\n\n[personas.poet]\nprompt = "Rhyme."\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await paste(pilot, "/persona c")
        assert [item.label for item in app.composer.popup.items] == ["coder"]
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: app.state.ref == "loopback/lorem" and app.state.effort == "high")
        assert app.state.conversation.system == "You write Python."
        assert "persona coder" in str(app.composer.system_line.render())
        await command(pilot, "/persona nobody")
        assert app.prompt.text == "/persona nobody"
        assert notices(app)[-1] == "no persona named 'nobody' (known: coder, poet)"


async def test_persona_rereads_the_config_so_one_added_while_the_app_runs_is_known():
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[personas.coder]\nprompt = "You write Python."\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        path.write_text('[personas.coder]\nprompt = "You write Python."\n\n[personas.poet]\nprompt = "Rhyme."\neffort = "off"\n')
        await command(pilot, "/persona")
        await wait_for(pilot, lambda: notices(app)[-1:] == [f"personas in {path}: coder, poet"])
        assert app.prompt.text == ""
        path.write_text(path.read_text() + '\n[personas.critic]\nprompt = "Find the flaw."\n')
        await command(pilot, "/persona critic")  # added after the last /persona: read again
        await wait_for(pilot, lambda: app.state.conversation.system == "Find the flaw.")
        assert f"personas in {path}: coder, critic, poet" in notices(app)
        path.write_text("[personas.broken\n")
        await command(pilot, "/persona poet")  # a broken file: said, and the personas read before stay
        await wait_for(pilot, lambda: app.state.conversation.system == "Rhyme.")
        assert any(n.startswith(f"personas not re-read: {path}: not valid TOML") for n in notices(app))


async def test_a_changed_system_prompt_reaches_a_realtime_socket_already_open():
    app = make_app(protocol="websocket")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, "/system Short.")
        await send(pilot, "one")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        assert "a system prompt of 6 characters" in answers(app)[0]
        await command(pilot, "/system A longer prompt now.")
        await send(pilot, "two")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 2)
        assert "a system prompt of 20 characters" in answers(app)[1]

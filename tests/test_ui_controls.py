"""Pilot tests of the model picker, key entry, effort, protocol, help, palette and keymap."""

from __future__ import annotations

import pytest

from rtchat.config import load_config
from rtchat.ui.choices import IMPLEMENTED_PROTOCOLS
from rtchat.ui.screens.help import HelpScreen
from rtchat.ui.screens.key_entry import KeyEntry
from rtchat.ui.screens.model_picker import ModelPicker
from rtchat.ui.screens.protocol_picker import ProtocolPicker
from rtchat.ui.widgets.transcript.messages import AssistantMessage, ErrorMessage, UserMessage
from tests.support.ui import command, idle, make_app, palette_offers, paste, ready, send, wait_for


pytestmark = pytest.mark.usefixtures("isolated")


async def test_model_picker_filters_and_switches():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ModelPicker)
        await paste(pilot, "lorem")
        picker = app.screen
        assert picker.shown[0].ref == "loopback/lorem"
        assert "no key needed" in picker.shown[0].describe()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.state.target.ref == "loopback/lorem")
        assert app.status.facts.model == "loopback/lorem"
        assert "loopback/lorem" in str(app.status.render())


async def test_model_without_key_asks_for_it_and_explains_missing_keyring():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o", *"gpt-4.1")
        assert "no key" in app.screen.shown[0].describe()
        await pilot.press("enter")
        assert isinstance(app.screen, KeyEntry)
        await command(pilot, "sk-secret-value")
        problem = str(app.screen.query_one("#key-problem").render())
        assert "OPENAI_API_KEY" in problem  # the fail backend: explain the env var
        assert "sk-secret-value" not in problem
        assert app.screen.query_one("#key-input").password
        await pilot.press("escape")
        assert app.state.target.ref == "loopback/echo"


async def test_effort_cycles_and_only_off_for_non_thinking_models():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.status.facts.effort == "default"  # no effort sent: the provider decides
        seen = []
        for _ in range(6):
            await pilot.press("ctrl+r")
            seen.append(app.status.facts.effort)
        assert seen == ["off", "low", "medium", "high", "max", "default"]  # ctrl+r comes back to default
        app.switch_model("loopback/refusal")
        await wait_for(pilot, lambda: app.state.target.ref == "loopback/refusal")
        await pilot.press("ctrl+r")
        assert app.status.facts.effort == "off"


async def test_effort_is_sent_and_thinking_title_shows_cost():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("ctrl+r", "ctrl+r")  # low
        await send(pilot, "think")
        await wait_for(pilot, lambda: app.state.conversation.messages and idle(app))
        answer = app.transcript.query("AssistantMessage").last()
        assert "tokens" in answer.thinking.title and "effort low" in answer.thinking.title


async def test_protocol_cycles_is_remembered_websocket_and_webrtc_answer():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.status.facts.protocol == "sse"
        await pilot.press("ctrl+n")
        assert app.status.facts.protocol == "websocket"
        assert load_config().protocols["loopback/echo"] == "websocket"
        await send(pilot, "hi")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        assert "hi" in app.state.conversation.messages[1].text
        assert app.status.facts.socket == "open"  # the socket stays open for the next turn
        await pilot.press("ctrl+n")
        assert app.status.facts.protocol == "webrtc"
        await send(pilot, "hi again")
        await wait_for(pilot, lambda: (len(app.state.conversation.messages) == 4 or app.transcript.query(ErrorMessage)) and idle(app), timeout=20)
        if "webrtc" in IMPLEMENTED_PROTOCOLS:  # text over the data channel
            assert "hi again" in app.state.conversation.messages[3].text
        else:
            assert "WebRTC in rtchat carries voice: press f3" in app.transcript.query_one(ErrorMessage).text
        await pilot.press("ctrl+n")
        assert app.status.facts.protocol == "sse"


async def test_protocol_picker_disables_unsupported_with_reason():
    app = make_app(model="loopback/redacted")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")  # only SSE: stays
        assert app.state.protocol == "sse"
        await pilot.press("f4")
        assert isinstance(app.screen, ProtocolPicker)
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        disabled = [options.get_option_at_index(i) for i in range(options.option_count)]
        assert [o.disabled for o in disabled] == [False, True, True]
        assert "does not support" in str(disabled[1].prompt)
        await pilot.press("escape")


async def test_remembered_protocol_and_cli_protocol_preselect(tmp_path):
    app = make_app(protocol="webrtc")
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.status.facts.protocol == "webrtc"


async def test_help_lists_every_binding():
    from rtchat.ui.bindings import SECTIONS

    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for _, bindings in SECTIONS:
            for binding in bindings:
                assert binding.id in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_binding_has_an_id_and_avoids_terminal_aliases():
    from rtchat.ui.bindings import SECTIONS

    for _, bindings in SECTIONS:
        for binding in bindings:
            assert binding.id
            for key in binding.key.split(","):
                assert key not in ("ctrl+m", "ctrl+i", "ctrl+left_square_bracket", "ctrl+h")


async def test_command_palette_runs_actions():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await paste(pilot, "cycle reasoning")
        await wait_for(pilot, lambda: palette_offers(app, "Cycle reasoning effort"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.status.facts.effort == "off")


async def test_keymap_from_config_remaps_bindings(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('[keys]\ncycle_effort = "f6"\n')
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("f6")
        assert app.status.facts.effort == "off"
        await pilot.press("ctrl+r")  # the old key no longer cycles
        assert app.status.facts.effort == "off"


async def test_keymap_warns_at_start_about_an_unknown_id_and_takes_the_readmes_old_names(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('[keys]\nnot_a_binding = "f10"\nedit_prompt = "f11"\n')
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        notes = [n.message for n in app._notifications]
        assert any("line 2: [keys] not_a_binding is not a binding id" in n for n in notes), notes
        await send(pilot, "first prompt")
        await wait_for(pilot, lambda: idle(app) and app.transcript.query(AssistantMessage))
        await pilot.press("escape", "up")  # the answer, then the prompt above it
        await wait_for(pilot, lambda: isinstance(app.focused, UserMessage))
        await pilot.press("f11")  # edit_prompt, the README's old id, remapped edit_message
        await wait_for(pilot, lambda: app.prompt.text == "first prompt")

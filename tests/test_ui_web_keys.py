"""In a browser tab the keys the browser keeps move, and every place that names a key says the moved one.

The app runs under Pilot, headless: the edge here is "in a browser tab", forced with
`web=True` (or Textual's TEXTUAL_DRIVER pointing at its web driver, as textual-serve
sets it), since a real tab needs the server and a browser (tests/test_web*.py).
"""

from __future__ import annotations

import pytest
from textual import constants

from rtchat.compat import footer_key
from rtchat.ui.screens.help import HelpScreen
from rtchat.ui.web_driver import ServedWebDriver
from rtchat.ui.widgets.key_footer import KeyFooter
from tests.support.env import write_config
from tests.support.ui import make_app, notices, plain, ready, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def footer_keys(app) -> list[str]:
    return [key.key_display for key in app.chat.query_one(KeyFooter).query(footer_key())]


def welcome(app) -> str:
    return plain(app.transcript.query_one("#welcome").parent)


async def only_the_new_key_works(pilot, old: str, new: str, done) -> None:
    """`old` does nothing (in a real tab the browser keeps it and the app never sees it); `new` does it."""
    await pilot.press(old)
    await pilot.pause()
    assert not done(), f"{old} still works"
    await pilot.press(new)
    await wait_for(pilot, done)


@pytest.mark.parametrize(
    ("config", "old", "new"),
    [pytest.param("", "ctrl+n", "f10", id="tab default"), pytest.param('[keys]\ncycle_protocol = "f12"\n', "f10", "f12", id="user's key wins")],
)
async def test_the_tabs_protocol_key_switches_protocol_and_ctrl_n_does_nothing(isolated, config, old, new):
    write_config(isolated, config)
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        assert app.is_web
        await only_the_new_key_works(pilot, old, new, lambda: app.state.protocol == "websocket")
        assert "protocol WebSocket, remembered for loopback/echo" in notices(app)
        assert f"{new} switches protocol" in welcome(app)


async def test_alt_t_shows_every_thinking_in_a_tab_and_ctrl_t_does_nothing():
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await only_the_new_key_works(pilot, "ctrl+t", "alt+t", lambda: app.chat.thinking_open)


async def test_the_footer_names_the_tabs_keys():
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: footer_keys(app))
        keys = footer_keys(app)
        assert "f10" in keys and "alt+t" in keys, keys
        assert "^n" not in keys and "^t" not in keys, keys


async def test_the_welcome_names_the_tabs_keys_the_newline_keys_and_the_servers_machine():
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        text = welcome(app)
        assert "f10 switches protocol" in text
        assert "ctrl+n" not in text
        assert "Enter sends; ctrl+j or alt+enter adds a line (shift+enter sends too)" in text
        assert "/attach, /export and voice use the server's files and devices" in text
        assert "ctrl+j or alt+enter new line" in app.prompt.placeholder


async def test_in_a_terminal_nothing_moves():
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        assert not app.is_web
        text = welcome(app)
        assert "ctrl+n switches protocol" in text and "server" not in text
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.state.protocol == "websocket")


async def test_ctrl_j_and_alt_enter_add_a_line_in_a_tab():
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+j", "b", "alt+enter", "c")
        assert app.prompt.text == "a\nb\nc"
        assert app.state.conversation.messages == []  # nothing was sent


async def test_f1_lists_the_tabs_keys_and_says_which_the_browser_keeps():
    app = make_app(web=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = plain(app.screen)
        rows = {line.split()[-1]: line.split()[0] for line in text.splitlines() if line.startswith("  ") and len(line.split()) >= 3}
        assert rows["cycle_protocol"] == "f10"
        assert rows["toggle_all_thinking"] == "alt+t"
        assert rows["newline"] == "ctrl+j,alt+enter"
        assert "the browser keeps ctrl+n, ctrl+t and ctrl+w: ctrl+n is f10 here, ctrl+t is alt+t here" in text


async def test_textual_serves_driver_puts_the_app_in_a_tab(monkeypatch):
    """textual-serve starts the app with TEXTUAL_DRIVER naming Textual's web driver: that alone is a tab
    (the app swaps in its own subclass, which also ends when the server's pipe closes)."""
    monkeypatch.setattr(constants, "DRIVER", "textual.drivers.web_driver:WebDriver")
    app = make_app()
    assert app.web and app.driver_class is ServedWebDriver
    assert app.config.keys["cycle_protocol"] == "f10"


def test_no_binding_is_on_a_key_the_browser_keeps_in_a_tab():
    """Every binding of the app, as a tab applies its keys: none on a key Chromium never hands a page
    (a binding added on ctrl+w or ctrl+tab fails here until web_keys.py moves it)."""
    from rtchat.ui.bindings import SECTIONS, effective_key
    from rtchat.ui.web_keys import BROWSER_RESERVED, web_keymap

    keymap = web_keymap({})
    kept = {
        binding.id: key
        for _title, bindings in SECTIONS for binding in bindings
        for key in (binding.key if binding.id not in keymap else effective_key(binding, keymap)).split(",")
        if key.strip() in BROWSER_RESERVED
    }
    assert kept == {}


async def test_a_users_key_the_browser_keeps_is_one_warning_in_a_tab(isolated):
    write_config(isolated, '[keys]\nnew_conversation = "ctrl+w"\n')
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        assert [line for line in notices(app) if "browser keeps" in line] == [
            "[keys] new_conversation = 'ctrl+w': a browser keeps ctrl+w for itself, so in this tab it never reaches rtchat"
        ]

"""A key typed into the app, or present in the environment, never shows on screen or in a screenshot."""

from __future__ import annotations

from tests.support.ui import idle, make_app, plain, ready, send, wait_for

CANARY = "sk-canary-9f86d081884c7d659a2feaa0c55ad015"


async def test_typed_and_env_keys_never_reach_a_screenshot(isolated, monkeypatch, tmp_path, request):
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)  # a key in the environment, used by a provider
    monkeypatch.setenv("RTCHAT_TEST_KEYRING", str(tmp_path / "ring.json"))
    import keyring

    from tests.support.file_keyring import TestKeyring

    previous = keyring.get_keyring()  # keyring caches its backend per process: set ours explicitly
    keyring.set_keyring(TestKeyring())
    request.addfinalizer(lambda: keyring.set_keyring(previous))
    app = make_app()
    shots = []
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o", *"gpt-4.1", "enter")  # no OpenAI key: the key-entry screen
        await pilot.press(*CANARY)
        shots.append(app.export_screenshot())
        await pilot.press("enter")  # stored in the (test) keyring
        await wait_for(pilot, lambda: app.state.target is not None and app.state.target.ref == "openai/gpt-4.1")
        shots.append(app.export_screenshot())
        app.switch_model("loopback/fault-401")
        await wait_for(pilot, lambda: app.state.target.ref == "loopback/fault-401")
        await send(pilot, "hi")
        await wait_for(pilot, lambda: idle(app) and "rtchat keys set" in plain(app.screen))
        shots.append(app.export_screenshot())
        await pilot.press("f1")
        shots.append(app.export_screenshot())
    assert (tmp_path / "ring.json").read_text().count(CANARY) == 1, "the key went to the keyring"
    for svg in shots:
        assert CANARY not in svg and CANARY[:12] not in svg
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "ring.json":
            assert CANARY.encode() not in path.read_bytes(), path


async def test_the_apps_debug_wire_log_has_frames_but_no_key(isolated, monkeypatch):
    """`rtchat --debug`: the app's session writes a redacted wire log."""
    from dataclasses import replace

    from rtchat.config import load_config
    from rtchat.debuglog import WireLog
    from rtchat.session import Session
    from rtchat.ui.app import RtChatApp

    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    config = load_config()
    session = Session(config)
    session.wire_log = WireLog.create()
    app = RtChatApp(config, model="openai/echo", session=session)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.state.target is not None)
        app.switch_model("loopback/echo")  # the loopback server is up now; point openai at it
        await wait_for(pilot, lambda: app.state.target.ref == "loopback/echo")
        providers = app.session.config.catalog.providers
        providers["openai"] = replace(providers["openai"], base_url=app.state.target.base_url)
        app.switch_model("openai/echo")
        await wait_for(pilot, lambda: app.state.target.ref == "openai/echo")
        await send(pilot, "log me")
        await wait_for(pilot, lambda: idle(app) and "log me" in plain(app.screen) and "characters" in plain(app.screen))
    log = session.wire_log.path.read_text()
    assert "frame" in log and "Authorization': '[redacted]'" in log
    assert CANARY not in log

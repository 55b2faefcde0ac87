"""A key typed into the app, or present in the environment, never shows on screen or in a screenshot."""

from __future__ import annotations

from tests.test_ui_support import idle, isolate, make_app, plain, ready, send, wait_for

CANARY = "sk-canary-9f86d081884c7d659a2feaa0c55ad015"


async def test_typed_and_env_keys_never_reach_a_screenshot(monkeypatch, tmp_path, request):
    isolate(monkeypatch, tmp_path)
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
        await wait_for(pilot, lambda: app.target is not None and app.target.ref == "openai/gpt-4.1")
        shots.append(app.export_screenshot())
        app.switch_model("loopback/fault-401")
        await wait_for(pilot, lambda: app.target.ref == "loopback/fault-401")
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

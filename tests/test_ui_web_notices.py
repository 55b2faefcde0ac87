"""In a browser tab, the features that run on the server's machine say so in one line.

The app runs under Pilot, forced into a tab with `web=True` (the edge: a real tab
needs the server and a browser). The sound card is the other edge: the server's
device names come from a stand-in for sounddevice, as PortAudio would name them.
"""

from __future__ import annotations

import types

import pytest

from rtchat.audio.support import AudioUnavailable
from rtchat.ui import web_notices
from rtchat.ui.controllers.voice_devices import silent_devices
from tests.support.ui import idle, make_app, notices, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def popup_rows(app) -> list[tuple[str, str]]:
    popup = app.composer.popup
    return [(item.label, item.help) for item in popup.items] if popup.display else []


async def test_ctrl_e_says_the_editor_is_the_servers_and_starts_nothing():
    started = []
    app = make_app(web=True)
    app.editor_runner = lambda command: started.append(command) or 0
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("h", "i", "ctrl+e")
        await wait_for(pilot, lambda: notices(app))
        assert notices(app)[-1] == web_notices.EDITOR_OFF
        assert started == [] and app.prompt.text == "hi"


async def test_the_attach_and_export_rows_say_the_path_is_the_servers(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    app = make_app(web=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press(*"/")
        await wait_for(pilot, lambda: popup_rows(app))
        helps = dict(popup_rows(app))
        assert helps["/attach PATH"].endswith("a path on the server's disk, not this browser's")
        assert helps["/export [PATH]"].endswith("a path on the server's disk, not this browser's")
        assert "server" not in next(help for label, help in helps.items() if label.startswith("/model"))
        app.prompt.clear()
        await pilot.press(*"/attach no")
        await wait_for(pilot, lambda: popup_rows(app) == [("notes.txt", "a path on the server's disk, not this browser's")])


async def test_export_says_the_file_is_on_the_servers_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(web=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await send(pilot, "export me")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        await pilot.press(*"/export", "enter")
        written = tmp_path / f"rtchat-{app.history.conversation_id}.md"
        await wait_for(pilot, lambda: notices(app) and notices(app)[-1] == f"exported to the server's disk: {written}")
        assert "export me" in written.read_text()


def no_microphone():
    raise AudioUnavailable("no input device was found (PortAudio lists no microphone); text chat still works")


async def voice_notices(monkeypatch, load_sounddevice, presses: int = 1) -> list[str]:
    """The notices after the voice key is pressed in a tab with the server's sound library given."""
    monkeypatch.setattr(web_notices, "load_sounddevice", load_sounddevice)
    app = make_app(web=True, voice_devices=silent_devices(no_microphone))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for press in range(1, presses + 1):
            await pilot.press("f3")
            await wait_for(pilot, lambda: len(app.transcript.query("ErrorMessage")) >= press)  # this test's microphone is missing
        return notices(app)


async def test_the_first_voice_key_names_the_servers_microphone_and_speaker(monkeypatch):
    class PortAudioError(Exception):
        pass

    names = {"input": "USB Mic (hw:1,0)", "output": "HDA Speaker (hw:0,0)"}
    fake = types.SimpleNamespace(PortAudioError=PortAudioError, query_devices=lambda device, kind: {"name": names[kind]})
    said = await voice_notices(monkeypatch, lambda: fake, presses=2)
    line = "voice in the browser tab uses the server's microphone and speaker: USB Mic (hw:1,0) / HDA Speaker (hw:0,0)"
    assert said.count(line) == 1  # said once, not on every press


async def test_voice_without_sound_on_the_server_says_it_is_off(monkeypatch):
    def no_sound():
        raise AudioUnavailable("voice needs PortAudio: install libportaudio2")

    said = await voice_notices(monkeypatch, no_sound)
    assert "voice is off in this browser tab: the server has no sound (voice needs PortAudio: install libportaudio2)" in said


async def test_in_a_terminal_voice_and_export_say_nothing_of_a_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(web_notices, "load_sounddevice", lambda: pytest.fail("a terminal app has no server to name"))
    app = make_app(voice_devices=silent_devices(no_microphone))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.transcript.query("ErrorMessage"))
        assert not any("server" in line for line in notices(app))

"""Never offer what cannot work: the protocol picker and ctrl+n leave out WebRTC without aiortc,
mark it text-only without a microphone, and each look re-scans PortAudio's devices.

The true edges faked here, and only here: the package lookup (`find_spec`, as if aiortc were not
installed) and PortAudio's device list (`sounddevice.query_devices` and its re-initialisation), so
the test does not depend on which sound devices this machine has right now."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from rtchat.audio import support
from rtchat.audio.sources import MicrophoneSource
from rtchat.audio.support import AudioUnavailable
from rtchat.config import VoiceSettings
from rtchat.ui.controllers.voice_devices import system_devices
from rtchat.ui.screens.protocol_picker import ProtocolPicker
from tests.support.ui import make_app, ready

pytestmark = pytest.mark.usefixtures("isolated")


class FakeDeviceList:
    """PortAudio's device list at the edge: no microphone until `plug_in()`; counts re-scans."""

    def __init__(self, monkeypatch) -> None:
        sd = support.load_sounddevice()
        self.present = False
        self.rescans = 0
        monkeypatch.setattr(sd, "query_devices", self.query)
        monkeypatch.setattr(sd, "_terminate", lambda: None)
        monkeypatch.setattr(sd, "_initialize", self.rescan)
        self.seen_at_last_scan = False

    def plug_in(self) -> None:
        self.present = True

    def rescan(self) -> None:
        self.rescans += 1
        self.seen_at_last_scan = self.present  # PortAudio sees only what was there when it started

    def query(self, device=None, kind=None):
        if not self.seen_at_last_scan:
            raise ValueError("No input device matching ''")
        return {"name": "pulse", "max_input_channels": 32}


def rows(app) -> list[tuple[str, bool]]:
    options = app.screen.query_one(OptionList)
    return [(str(options.get_option_at_index(i).prompt), options.get_option_at_index(i).disabled) for i in range(options.option_count)]


async def test_without_aiortc_webrtc_is_disabled_and_ctrl_n_skips_it(monkeypatch):
    real = support.find_spec
    monkeypatch.setattr(support, "find_spec", lambda name: None if name == "aiortc" else real(name))
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        assert app.state.protocol == "websocket"
        await pilot.press("ctrl+n")
        assert app.state.protocol == "sse"  # WebRTC skipped
        await pilot.press("f4")
        assert isinstance(app.screen, ProtocolPicker)
        webrtc = rows(app)[2]
        assert webrtc[1] is True and "voice packages are missing" in webrtc[0] and "-m pip install aiortc" in webrtc[0]
        await pilot.press("escape")


async def test_without_a_microphone_webrtc_is_text_only_and_f4_rescans(monkeypatch):
    devices = FakeDeviceList(monkeypatch)
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        webrtc = rows(app)[2]
        assert webrtc[1] is False and "text only here; voice: no input device was found" in webrtc[0]
        await pilot.press("escape")
        devices.plug_in()  # e.g. PulseAudio started after rtchat
        await pilot.press("f4")
        assert "text only" not in rows(app)[2][0] and devices.rescans == 2
        await pilot.press("escape")


def test_each_talk_press_rescans_for_a_microphone(monkeypatch):
    devices = FakeDeviceList(monkeypatch)
    microphone = system_devices(VoiceSettings()).source
    with pytest.raises(AudioUnavailable, match="no input device was found"):
        microphone()
    devices.plug_in()
    assert isinstance(microphone(), MicrophoneSource) and devices.rescans == 2

"""Voice mode on screen, at 80x24 and 120x40: listening (push-to-talk) and hands-free.

Taken in WebSocket voice mode against the in-process loopback: a WebRTC call's aiortc threads keep
the app from ever idling, which a snapshot waits for. The microphone is a silent stand-in (the true
edge: no sound card in CI), so the level meter reads silence; the connect time is frozen."""

from __future__ import annotations

import pytest

from rtchat.ui.controllers.voice_devices import silent_devices
from tests.support.snap import SIZES, run_before
from tests.support.ui import make_app, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


class SilentMicrophone:
    """Open for the whole session, delivering nothing."""

    rate = 48000

    def start(self, deliver) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("key", "shown"), [("f3", "listening"), ("f7", "hands-free")], ids=["listening", "hands-free"])
def test_voice_mode(snap_compare, monkeypatch, size, key, shown):
    async def steps(pilot):
        app = pilot.app
        await pilot.press(key)
        await wait_for(pilot, lambda: app.status.facts.voice == shown, timeout=20)
        app.voice.current.latency["connect_ms"] = 12.0
        app.voice.show()
        app.clear_notifications()  # the toasts would hide the status line this snapshot is about

    app = make_app(protocol="websocket", voice_devices=silent_devices(SilentMicrophone))
    assert snap_compare(app, terminal_size=size, run_before=run_before(monkeypatch, steps))

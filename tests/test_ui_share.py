"""/share in the app, against the in-process loopback: a video file made with PyAV is the source
(a real file, decoded by PyAV, frames really sent); the loopback's `vision` model says what
arrived. What the user sees while sharing (the red indicator, the red input border, the stop
key in the footer), every way a share stops, the one-line refusal, and what the history keeps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rtchat.catalog import PROTOCOLS, ModelInfo
from rtchat.store import ShareRecord, Store
from rtchat.ui.controllers.voice_devices import silent_devices
from rtchat.ui.widgets.transcript.messages import UserMessage
from tests.support.share_sources import make_video, xvfb
from tests.support.voice import HandFedSource, syllables, tap, voice_state
from tests.support.ui import answers, chips, command, idle, loopback_app, make_app, notices, paste, plain, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

RED, GREEN = (255, 0, 0), (0, 255, 0)


@pytest.fixture
def clip(tmp_path, monkeypatch):
    """clip.mp4 in the current folder: typed as a short relative path."""
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "clip.mp4", [RED] * 5 + [GREEN] * 5)
    return "clip.mp4"


def vision_app(**kwargs):
    """The app on the loopback's `vision` probe (named directly, out of the pickers' list), declared
    here as the loopback serves it: every protocol, voice too."""
    app = make_app(model="loopback/vision", **kwargs)
    loopback = app.config.catalog.providers["loopback"]
    app.config.catalog.providers["loopback"] = replace(loopback, models=(*loopback.models, ModelInfo("vision", False, PROTOCOLS, voice=True)))
    return app


def footer_keys(app) -> list[str]:
    return [binding.description for binding, *_ in app.screen.query_one("KeyFooter").chosen(app.size.width)]


async def share(pilot, what: str) -> None:
    await command(pilot, f"/share {what}", until=lambda: pilot.app.chat.share.active and not pilot.app.prompt.text)


def stored_shares(app) -> list[ShareRecord]:
    with Store.open(app.history.store.path) as store:
        return store.shares(app.history.conversation_id)


async def test_a_shared_file_goes_with_the_next_prompt_and_is_in_sight_until_off(clip):
    app = vision_app()  # SSE: the latest frame goes with each prompt
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "Stop sharing" not in footer_keys(app) and not app.prompt.has_class("-sharing")
        await share(pilot, clip)
        assert app.prompt.text == "", "the command ran and left the input"
        assert app.status.sharing == "sharing file clip.mp4 · 1 fps · 0 frames"
        assert app.status.text.startswith("sharing file clip.mp4 · 1 fps · 0 frames │ loopback/vision")
        assert app.prompt.has_class("-sharing"), "the input's border turns red"
        await wait_for(pilot, lambda: "Stop sharing" in footer_keys(app))
        await send(pilot, "what do you see?")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        assert answers(app)[0].startswith("got 1 frame, last ") and answers(app)[0].endswith("JPEG")
        sent = app.session._loopback.records[-1].request_json["messages"][-1]["content"]
        assert [part["type"] for part in sent] == ["text", "image_url"] and sent[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
        assert chips(app.transcript.query(UserMessage).last())[0].startswith("file-frame-"), "the frame is the prompt's image chip"
        await wait_for(pilot, lambda: app.status.sharing == "sharing file clip.mp4 · 1 fps · 1 frame")
        await command(pilot, "/share off", until=lambda: not app.chat.share.active and not app.prompt.text)
        await wait_for(pilot, lambda: app.status.sharing is None and not app.prompt.has_class("-sharing"))
        await wait_for(pilot, lambda: "Stop sharing" not in footer_keys(app))
        assert "sharing stopped (1 frame sent)" in notices(app)
        [record] = stored_shares(app)
        assert (record.kind, record.label, record.fps, record.frames) == ("file", "file clip.mp4", 1.0, 1)
        assert record.ended >= record.started
        with Store.open(app.history.store.path) as store:
            _, messages = store.load_conversation(app.history.conversation_id)
        assert [a.name for a in messages[0].attachments] == [chips(app.transcript.query(UserMessage).last())[0].split(" · ")[0]], "the frame sent is kept, as the prompt's attachment"
        conversation_id = app.history.conversation_id
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: app.history.conversation_id is None)
        app.open_conversation(conversation_id)
        await wait_for(pilot, lambda: "shared with the model in this conversation: file clip.mp4 (1 frame)" in plain(app.transcript))


async def test_a_text_only_model_refuses_in_one_line_and_nothing_starts(clip):
    app = make_app(model="loopback/refusal")  # reads text only
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, f"/share {clip}")
        await wait_for(pilot, lambda: any("reads no images" in line for line in notices(app)))
        [line] = [line for line in notices(app) if "reads no images" in line]
        assert line.startswith("loopback/refusal reads no images (it takes text); share with ") and "\n" not in line
        assert app.prompt.text == f"/share {clip}", "the command stays, to be fixed"
        assert not app.chat.share.active and app.status.sharing is None


async def test_changing_the_model_stops_the_share(clip):
    app = vision_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await share(pilot, clip)
        await command(pilot, "/model loopback/echo")
        await wait_for(pilot, lambda: not app.chat.share.active)
        assert app.state.ref == "loopback/echo" and app.status.sharing is None
        assert "sharing stopped: the model or protocol changed (0 frames sent)" in notices(app)


async def test_changing_the_protocol_and_a_new_conversation_stop_the_share(clip):
    app = vision_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await share(pilot, clip)
        await pilot.press("ctrl+n")  # the next protocol
        await wait_for(pilot, lambda: not app.chat.share.active)
        await share(pilot, clip)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: not app.chat.share.active)
        assert "sharing stopped: a new conversation (0 frames sent)" in notices(app)


async def test_ctrl_c_twice_stops_the_share_and_once_does_not(clip):
    app = vision_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await share(pilot, clip)
        await pilot.press("ctrl+c")
        assert app.chat.share.active and notices(app)[-1] == "sharing goes on: ctrl+c again stops it (ctrl+s too)"
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not app.chat.share.active)
        assert app.status.sharing is None and "sharing stopped (ctrl+c twice) (0 frames sent)" in notices(app)


async def test_the_share_key_offers_the_command_and_then_stops_it(clip):
    app = vision_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+s")
        assert app.prompt.text == "/share " and not app.chat.share.active, "the key never starts a share by itself"
        assert [item.label for item in app.composer.popup.items][:3] == ["screen", "camera", "off"]
        await paste(pilot, clip)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.share.active)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not app.chat.share.active)
        assert app.prompt.text == ""


async def test_gemini_live_streams_frames_while_shared(monkeypatch, clip):
    app = loopback_app(monkeypatch, "gemini/vision", protocol="websocket")
    gemini = app.config.catalog.providers["gemini"]  # its loopback's `vision` model, over a Live socket
    app.config.catalog.providers["gemini"] = replace(gemini, models=(*gemini.models, ModelInfo("vision", False, ("websocket",), voice=True, ws_wire="gemini_live")))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert app.state.protocol == "websocket"
        await share(pilot, clip)
        sharing = app.chat.share.sharing
        await wait_for(pilot, lambda: sharing.frames_sent >= 2, timeout=30)
        await wait_for(pilot, lambda: app.status.sharing.endswith(" frames"))  # the line follows on its next tick
        assert app.status.sharing.startswith("sharing file clip.mp4 · 1 fps · ")
        await send(pilot, "what do you see?")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1, timeout=30)
        assert answers(app)[0].startswith("got ") and " frames, last " in answers(app)[0]
        assert not app.transcript.query(UserMessage).last().query("Chip"), "Live streams frames: none rides on the prompt"


async def test_the_camera_picker_lists_what_it_finds_and_scans_again():
    from rtchat.share import Camera

    found = [[], [Camera("/dev/video4", "Test Cam (/dev/video4)"), Camera("/dev/video6", "Other (/dev/video6)")]]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.chat.share.list_cameras = lambda: found[0]  # the true edge: this machine has no camera
        await pilot.press("f12")
        await wait_for(pilot, lambda: "no camera found" in str(app.screen.query_one("#camera-note").render()))
        found[0] = found[1]  # plugged in meanwhile
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query_one("#cameras").option_count == 2)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.chat.share.camera == "/dev/video6")
        assert notices(app)[-1] == "camera /dev/video6: /share camera opens it"


async def test_realtime_takes_the_latest_frame_with_each_typed_turn_said_once(clip):
    app = vision_app(protocol="websocket")  # the loopback's socket: a Realtime GA session
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await share(pilot, clip)
        told = "loopback/vision takes images, not video: the latest frame goes with each of your turns"
        await wait_for(pilot, lambda: told in plain(app.transcript))
        await send(pilot, "what do you see?")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1, timeout=30)
        assert answers(app)[0].startswith("got 1 frame, last ") and answers(app)[0].endswith("JPEG")
        assert chips(app.transcript.query(UserMessage).last())[0].startswith("file-frame-")
        await command(pilot, "/share off", until=lambda: not app.chat.share.active and not app.prompt.text)
        await share(pilot, clip)
        assert plain(app.transcript).count(told) == 1, "said once"


async def test_sharing_a_real_screen_from_the_app(tmp_path, monkeypatch):
    with xvfb(tmp_path) as display:  # a real X server showing known stripes
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        app = vision_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            await share(pilot, "screen")
            assert app.status.sharing == "sharing screen · 1 fps · 0 frames"
            await send(pilot, "what is on my screen?")
            await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1, timeout=30)
            assert answers(app)[0].startswith("got 1 frame, last ")
            assert chips(app.transcript.query(UserMessage).last())[0].startswith("screen-frame-")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: not app.chat.share.active)


async def test_a_source_that_cannot_open_is_one_line_and_nothing_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a video")
    app = vision_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for typed, said in (
            ("notes.txt", "cannot open notes.txt: "),
            ("camera /dev/video-none", "cannot open /dev/video-none: "),
            ("sideways", "'sideways' is neither screen, camera, off nor an existing video file; use /share screen"),
        ):
            app.prompt.clear()
            await command(pilot, f"/share {typed}")
            await wait_for(pilot, lambda: any(line.startswith(said) for line in notices(app)))
            assert all("\n" not in line for line in notices(app))
            assert app.prompt.text == f"/share {typed}", "the command stays, to be fixed"
            assert not app.chat.share.active and app.status.sharing is None


async def test_a_spoken_realtime_turn_carries_the_latest_frame(clip):
    source = HandFedSource()  # the true edge: no microphone here; the app's own audio path from there on
    app = vision_app(protocol="websocket", voice_devices=silent_devices(lambda: source))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await share(pilot, clip)
        tap(pilot, "f3")
        await wait_for(pilot, lambda: voice_state(app) == "listening", timeout=20)
        source.say(syllables())
        tap(pilot, "f3")
        await wait_for(pilot, lambda: len(answers(app)) == 1 and idle(app) and voice_state(app) == "idle", timeout=30)
        assert answers(app)[0].startswith("got 1 frame, last ") and answers(app)[0].endswith("JPEG")
        await wait_for(pilot, lambda: app.status.sharing == "sharing file clip.mp4 · 1 fps · 1 frame")

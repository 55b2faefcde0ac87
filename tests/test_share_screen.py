"""Sharing a real X screen (Xvfb showing known stripes): the frames' decoded pixels are the
picture, scaled to the provider's size; a Gemini Live session gets them as realtime video and
a Realtime session with each user turn; the loopback `vision` model says what arrived."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace

import pytest
from PIL import Image

from rtchat.catalog import PROTOCOLS, ModelInfo
from rtchat.conversation import ChatMessage, Conversation
from rtchat.share import ScaleRule, ShareError, Sharing, parse_share
from rtchat.share.screen import display_problem
from tests.support.attachments import ask_process
from tests.support.share_sources import BLUE, RED, expected_colour, xvfb
from tests.support.turns import done_of, errors_of, run_turn, text_of
from tests.support.wait import until
from tests.support.ws import make_session


@pytest.fixture
def screen(tmp_path, monkeypatch):
    with xvfb(tmp_path) as display:
        monkeypatch.setenv("DISPLAY", display)
        yield display


def near(pixel, colour, slack: int = 48) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, colour))


def assert_stripes(jpeg: bytes, size: tuple[int, int], scale: float) -> None:
    """Each stripe's middle column, a few rows down, is the colour the screen shows there."""
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.size == size
    rgb = image.convert("RGB")
    for middle in range(16, int(size[0] / scale) - 16, 32):  # screen columns at the stripes' middles
        x = int(middle * scale)
        for y in (5, size[1] // 2, size[1] - 5):
            assert near(rgb.getpixel((x, y)), expected_colour(middle)), (x, y, rgb.getpixel((x, y)), expected_colour(middle))


async def frames_of(sharing: Sharing, count: int) -> list:
    got: list = []
    enough = asyncio.Event()

    def keep(frame) -> None:
        got.append(frame)
        if len(got) >= count:
            enough.set()

    sharing.on_frame(keep)
    await asyncio.wait_for(enough.wait(), 30)  # the deadline only stops a hang
    return got


async def test_screen_frames_decode_to_the_picture_scaled_to_768_px(screen):
    sharing = Sharing(parse_share("screen"), fps=5, max_fps=5, scale=ScaleRule(768))
    await sharing.start()
    try:
        first = sharing.latest()
        frames = await frames_of(sharing, 2)
    finally:
        await sharing.aclose()
    assert first is not None and first.index == 1, "the first frame is made before start() returns"
    assert [f.index for f in frames[:2]] == [2, 3] and frames[0].captured_at < frames[1].captured_at
    for frame in (first, *frames):
        assert (frame.width, frame.height) == (768, 576)  # 1024x768 with its long side at 768
        assert_stripes(frame.jpeg, (768, 576), 0.75)
    assert sharing.done.is_set() and sharing.error is None and not sharing.running


async def test_a_region_is_captured_unscaled_and_a_missing_monitor_is_one_line(screen):
    sharing = Sharing(parse_share("screen 16,0,64,32"), scale=ScaleRule(768))
    await sharing.start()
    await sharing.aclose()
    frame = sharing.latest()
    rgb = Image.open(io.BytesIO(frame.jpeg)).convert("RGB")
    assert rgb.size == (64, 32)
    assert near(rgb.getpixel((4, 16)), RED) and near(rgb.getpixel((32, 16)), BLUE) and near(rgb.getpixel((60, 16)), RED)
    with pytest.raises(ShareError, match=r"^there is no monitor 5: this screen has 1 \(1-1; 0 is all of them\)$"):
        await Sharing(parse_share("screen 5")).start()


def test_a_wayland_session_without_x_is_one_line():
    wayland = display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert wayland is not None and wayland.startswith("this is a Wayland session without X") and "\n" not in wayland
    assert display_problem({}, "linux") == "no screen to capture here (DISPLAY is not set); share a camera or a video file instead"
    assert display_problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}, "linux") is None
    assert display_problem({}, "darwin") is None


async def test_gemini_live_streams_the_screen_as_realtime_video_and_vision_counts_it(screen, isolated, loopback):
    session = make_session(loopback)
    conversation = Conversation()
    try:
        target = await session.resolve("gemini/vision")
        sharing = await session.start_share(parse_share("screen"), target, "websocket", conversation)
        assert sharing.fps == 1 and sharing.scale == ScaleRule(768)
        assert sharing.note == "frames stream into gemini/vision's Live session at up to 1 per second, beside your words and voice"
        events, _ = await run_turn(session, target, conversation, "are you there?", protocol="websocket")
        assert errors_of(events) == [] and done_of(events) == "complete"
        [connection] = loopback.connections
        await until(lambda: connection.frames.count >= 2, 30, "two frames at the Live session")
        events, _ = await run_turn(session, target, conversation, "what do you see?", protocol="websocket")
        counted = connection.frames.count
        assert text_of(events).startswith("got ") and text_of(events).endswith(" frames, last 768x576 JPEG")
        assert int(text_of(events).split()[1]) == counted >= 2
        assert sharing.frames_sent == counted and sharing.status == f"sharing screen · 1 fps · {counted} frames"
        assert session.frame_for_turn() is None, "Live streams frames: none is attached to a turn"
        assert_stripes(connection.frames.last_data, (768, 576), 0.75)
    finally:
        await session.aclose()
    assert sharing.done.is_set() and session.sharing is None, "closing the session stops the share"


@pytest.mark.parametrize("protocol", ["websocket", "webrtc"])
async def test_realtime_takes_the_latest_frame_with_each_user_turn(screen, isolated, loopback, protocol):
    session = make_session(loopback)
    conversation = Conversation()
    providers = session.config.catalog.providers  # as a config declares it: the probe model is in no picker
    providers["loopback"] = replace(providers["loopback"], models=providers["loopback"].models + (ModelInfo("vision", False, PROTOCOLS),))
    try:
        target = await session.resolve("loopback/vision", loopback.url + "/v1")
        sharing = await session.start_share(parse_share("screen"), target, protocol, conversation)
        assert sharing.scale == ScaleRule(2048, 768)
        assert sharing.max_bytes == (44_000 if protocol == "webrtc" else None), "a data channel message is at most 64 KB"
        assert sharing.note == "loopback/vision takes images, not video: the latest frame goes with each of your turns"
        frame = session.frame_for_turn()
        assert frame is not None and frame.media_type == "image/jpeg" and frame.name == "screen-frame-1.jpg"
        assert session.frame_for_turn() is None, "the same frame is not sent twice"
        conversation.messages.append(ChatMessage("user", "what is on my screen?", attachments=[frame]))
        events, turn = await run_turn_sent(session, target, conversation, protocol)
        assert errors_of(events) == [] and text_of(events) == "got 1 frame, last 1024x768 JPEG"
        [connection] = loopback.connections
        assert_stripes(connection.frames.last_data, (1024, 768), 1.0)
        assert sharing.frames_sent == 1
    finally:
        await session.aclose()


async def run_turn_sent(session, target, conversation: Conversation, protocol: str):
    """A turn of the conversation as it stands (its last user message already added)."""
    turn = session.turn(target, conversation, protocol=protocol)
    events = [event async for event in turn.events()]
    return events, turn


async def test_a_text_only_model_refuses_to_share_in_one_line(screen, isolated, loopback):
    session = make_session(loopback)
    try:
        target = await session.resolve("loopback/refusal")
        with pytest.raises(ShareError) as refused:
            await session.start_share(parse_share("screen"), target, "sse", Conversation())
        assert str(refused.value).startswith("loopback/refusal reads no images (it takes text); share with ")
        assert session.sharing is None
    finally:
        await session.aclose()


async def test_ask_shares_a_screen_region_with_a_realtime_turn(screen, tmp_path, loopback):
    code, out, err = await ask_process(tmp_path, "-m", "loopback/vision", "--base-url", loopback.url + "/v1", "--protocol", "websocket", "--share-screen", "--screen-area", "16,0,64,32", "what is this?", DISPLAY=screen)
    assert code == 0, err
    assert "got 1 frame, last 64x32 JPEG" in out
    [connection] = loopback.connections
    rgb = Image.open(io.BytesIO(connection.frames.last_data)).convert("RGB")
    assert near(rgb.getpixel((4, 16)), RED) and near(rgb.getpixel((32, 16)), BLUE)

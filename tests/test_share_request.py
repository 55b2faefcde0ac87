"""`/share` arguments and who may share: parsed once, refused in one line naming what would work."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from rtchat.catalog import BUILTIN, ModelInfo
from rtchat.share import Region, ScaleRule, ShareError, ShareRequest, Sharing, parse_share, share_refusal
from rtchat.share.frames import encode
from rtchat.target import Target


def target(provider: str, model: str, **info) -> Target:
    p = BUILTIN[provider]
    model_info = ModelInfo(model, **info) if info else p.model(model)
    return Target(p, model, model_info, "https://example.invalid", None, "none", None)


def test_screen_monitor_region_camera_off_and_file(tmp_path):
    clip = tmp_path / "my clip.mp4"
    clip.write_bytes(b"x")
    assert parse_share("screen") == ShareRequest("screen")
    assert parse_share("screen 2") == ShareRequest("screen", monitor=2)
    assert parse_share("screen 0,0,1280,720") == ShareRequest("screen", region=Region(0, 0, 1280, 720))
    assert parse_share("camera") == ShareRequest("camera")
    assert parse_share("camera /dev/video2") == ShareRequest("camera", device="/dev/video2")
    assert parse_share(" off ") == ShareRequest("off")
    assert parse_share(f'"{clip}"') == ShareRequest("file", path=str(clip))
    assert parse_share("screen 2").label == "screen 2"
    assert parse_share(f'"{clip}"').label == "file my clip.mp4"


@pytest.mark.parametrize("text, words", [
    ("", "say what to share"),
    ("screen 1 2", "one monitor or one region"),
    ("screen 0,0,0,720", "positive width and height"),
    ("screen left", "neither a monitor number nor a region"),
    ("nowhere.mp4", "neither screen, camera, off nor an existing video file"),
    ('"unclosed', "cannot read"),
])
def test_bad_arguments_say_one_line(text, words):
    with pytest.raises(ShareError) as caught:
        parse_share(text)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_folder_is_not_a_video(tmp_path):
    with pytest.raises(ShareError, match="not a regular file"):
        parse_share(str(tmp_path))


def test_scale_rules_never_upscale():
    assert ScaleRule(768).size_for(1920, 1080) == (768, 432)
    assert ScaleRule(768).size_for(640, 480) == (640, 480)
    assert ScaleRule(2048, 768).size_for(1920, 1080) == (1365, 768)


def test_refusals_name_what_would_work():
    text_only = share_refusal(target("deepseek", "deepseek-chat"), "sse")
    assert text_only is not None and "deepseek/deepseek-chat reads no images" in text_only and "gpt-realtime" in text_only
    socket = share_refusal(target("deepseek", "deepseek-v4-flash"), "websocket", "deepseek_socket")
    assert socket is not None and "DeepSeek socket carries text only" in socket
    beta = share_refusal(target("openai", "gpt-realtime"), "websocket", "openai_realtime", dialect="beta")
    assert beta is not None and "cannot carry image bytes" in beta
    assert share_refusal(target("openai", "gpt-realtime"), "webrtc", "openai_realtime", dialect="ga") is None
    assert share_refusal(target("gemini", "gemini-live-2.5-flash-preview"), "websocket", "gemini_live") is None
    assert share_refusal(target("anthropic", "claude-sonnet-4-5"), "sse") is None


class DyingCamera:
    """A camera unplugged after its first picture: the true edge a test cannot unplug for real."""

    kind = "camera"

    def __init__(self) -> None:
        self.grabs = 0
        self.closed = False

    def open(self) -> None:
        pass

    def grab(self, rule):
        self.grabs += 1
        if self.grabs > 1:
            raise ShareError("the camera stopped: No such device")
        return Image.new("RGB", (1280, 720), (10, 20, 30))

    def close(self) -> None:
        self.closed = True


async def test_a_source_that_dies_stops_sharing_with_its_one_line():
    camera = DyingCamera()
    sharing = Sharing(parse_share("camera"), camera, fps=10, max_fps=1)
    stopped = []
    sharing.on_stopped(stopped.append)
    await sharing.start()
    assert sharing.fps == 1 and sharing.rate_note == "10 fps asked; this model takes at most 1 per second, so frames go at 1 fps"
    with pytest.raises(ShareError, match=r"^the camera stopped: No such device$"):
        await sharing.until(lambda s: False)
    assert stopped == [sharing] and sharing.error == "the camera stopped: No such device" and camera.closed
    assert sharing.latest().width == 768 and sharing.latest().height == 432 and not sharing.running


def test_a_frame_for_a_data_channel_fits_its_64_kb_message():
    picture = Image.frombytes("RGB", (1920, 1080), random.Random(7).randbytes(1920 * 1080 * 3))  # noise: the worst case for JPEG
    roomy = encode(picture, ScaleRule(2048, 768), 1, 0.0)
    fitted = encode(picture, ScaleRule(2048, 768), 1, 0.0, max_bytes=44_000)
    assert len(roomy.jpeg) > 44_000 and (roomy.width, roomy.height) == (1365, 768)
    assert len(fitted.jpeg) <= 44_000 and fitted.width < 1365 and fitted.width / fitted.height == pytest.approx(16 / 9, rel=0.01)
    assert Image.open(io.BytesIO(fitted.jpeg)).size == (fitted.width, fitted.height)

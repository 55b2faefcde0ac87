"""Video files and cameras through PyAV: a file plays at its own clock and loops; a file made
with PyAV stands in for the camera (and a real v4l2 camera where the machine has one);
`rtchat ask --share-file FILE --frames N` sends them to Gemini Live and to an HTTP model."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from rtchat.share import ShareError, Sharing, list_cameras, parse_share
from rtchat.share.frames import ScaleRule
from rtchat.share.video import CameraSource, FileSource
from tests.support.attachments import ask_process
from tests.support.share_sources import BLUE, RED, make_video

GREEN = (0, 255, 0)


def colour_of(image) -> tuple[int, int, int]:
    return image.convert("RGB").getpixel((10, 10))


def near(pixel, colour, slack: int = 24) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, colour))


def test_a_file_plays_at_its_own_clock_and_starts_again_at_its_end(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", [RED] * 5 + [BLUE] * 5)  # 1 s: red, then blue from 0.5 s
    now = [100.0]
    source = FileSource(str(clip), clock=lambda: now[0])
    source.open()
    try:
        seen = []
        for at in (100.0, 100.7, 101.2, 101.3, 101.9):
            now[0] = at
            seen.append(colour_of(source.grab(ScaleRule(768))))
    finally:
        source.close()
    expected = [RED, BLUE, BLUE, RED, BLUE]  # at 1.2 s the file has ended: its last picture, then from the start
    assert all(near(got, want) for got, want in zip(seen, expected)), seen


def test_a_file_without_video_or_with_bad_bytes_is_one_line(tmp_path):
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(ShareError, match=r"^cannot open .*notes\.mp4: "):
        FileSource(str(junk)).open()


async def test_a_video_file_stands_in_for_the_camera(tmp_path):
    clip = make_video(tmp_path / "camera.mp4", [GREEN] * 10)
    sharing = Sharing(parse_share("camera"), CameraSource(str(clip), capture=None), fps=5, max_fps=5, scale=ScaleRule(160))
    await sharing.start()
    await sharing.until(lambda s: s.frames_captured >= 2)
    await sharing.aclose()
    frame = sharing.latest()
    assert (frame.width, frame.height) == (160, 120) and sharing.kind == "camera"
    assert near(colour_of(Image.open(io.BytesIO(frame.jpeg))), GREEN)


async def test_a_v4l2_camera_gives_frames_where_the_machine_has_one():
    cameras = list_cameras()
    if not cameras:
        pytest.skip("no v4l2 camera on this machine (/dev/video* is absent): the file-as-camera test covers the code path")
    sharing = Sharing(parse_share(f"camera {cameras[0].device}"), fps=1, scale=ScaleRule(768))
    await sharing.start()
    await sharing.aclose()
    assert sharing.latest() is not None and sharing.latest().jpeg.startswith(b"\xff\xd8")


async def test_ask_shares_a_file_into_gemini_live_before_the_prompt(tmp_path, loopback):
    clip = make_video(tmp_path / "clip.mp4", [RED] * 10)
    code, out, err = await ask_process(tmp_path, "-m", "gemini/vision", "--base-url", loopback.url, "--protocol", "websocket", "--share-file", str(clip), "--frames", "2", "what do you see?", GEMINI_API_KEY="k")
    assert code == 0, err
    [connection] = loopback.connections
    assert f"got {connection.frames.count} frames, last 320x240 JPEG" in out and connection.frames.count >= 2
    assert near(colour_of(Image.open(io.BytesIO(connection.frames.last_data))), RED)


async def test_ask_attaches_the_latest_frame_for_an_http_model_and_refuses_a_text_only_one(tmp_path, loopback):
    clip = make_video(tmp_path / "clip.mp4", [BLUE] * 10)
    code, out, err = await ask_process(tmp_path, "-m", "loopback/vision", "--base-url", loopback.url + "/v1", "--share-file", str(clip), "--frames", "2", "--share-fps", "5", "what do you see?")
    assert code == 0, err
    assert "got 1 frame, last " in out and " JPEG" in out
    code, out, err = await ask_process(tmp_path, "-m", "loopback/refusal", "--base-url", loopback.url + "/v1", "--share-file", str(clip), "hi")
    assert code == 2 and out == ""
    assert err.startswith("rtchat: loopback/refusal reads no images (it takes text); share with ") and err.count("\n") == 1


async def test_ask_says_one_line_for_a_missing_file_and_a_bad_frame_count(tmp_path, loopback):
    code, out, err = await ask_process(tmp_path, "-m", "loopback/vision", "--base-url", loopback.url + "/v1", "--share-file", str(tmp_path / "nowhere.mp4"), "hi")
    assert (code, out) == (2, "") and err == f"rtchat: --share-file {tmp_path / 'nowhere.mp4'}: no such file (share a video file)\n"
    clip = make_video(tmp_path / "clip.mp4", [RED])
    code, out, err = await ask_process(tmp_path, "-m", "loopback/vision", "--base-url", loopback.url + "/v1", "--share-file", str(clip), "--frames", "0", "hi")
    assert (code, out) == (2, "") and err == "rtchat: --frames must be 1 or more (got 0)\n"
    assert loopback.records == [], "nothing was sent"

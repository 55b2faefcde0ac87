"""Clipboard images: a real X server (Xvfb) and a real clipboard owner (xclip) hold the image;
rtchat reads it with xclip as a user's machine would, attaches it as a chip, checks it against
the model, and sends it over the loopback's real socket."""

from __future__ import annotations

import io

import pytest

from rtchat.clipboard_image import ClipboardProblem, best_type, read_clipboard_image
from tests.support.attachments import png
from tests.support.ui import answers, chips, idle, make_app, notices, palette_offers, ready, send, wait_for
from tests.support.clipboard import clipboard_owner
from tests.support.share_sources import xvfb

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def display(monkeypatch, tmp_path):
    with xvfb(tmp_path) as name:
        monkeypatch.setenv("DISPLAY", name)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield name


def test_the_clipboard_image_comes_back_byte_for_byte(display, tmp_path):
    picture = png(32, 16)
    with clipboard_owner(display, picture, "image/png", tmp_path):
        image = read_clipboard_image()
    assert (image.media_type, image.data) == ("image/png", picture)
    assert image.name.startswith("clipboard-") and image.name.endswith(".png")


def test_text_or_nothing_on_the_clipboard_is_one_line(display, tmp_path):
    with pytest.raises(ClipboardProblem, match=r"^the clipboard is empty"):
        read_clipboard_image()
    with clipboard_owner(display, b"just words", "UTF8_STRING", tmp_path), pytest.raises(ClipboardProblem) as caught:
        read_clipboard_image()
    assert str(caught.value) == "no image on the clipboard (it holds text; your terminal's own paste key pastes text)"


def test_no_display_and_the_type_asked_for():
    with pytest.raises(ClipboardProblem, match="no Wayland or X display"):
        read_clipboard_image(env={}, platform="linux")
    assert best_type(["TARGETS", "image/bmp", "image/jpeg", "UTF8_STRING"]) == "image/jpeg"
    assert best_type(["TARGETS", "image/bmp"]) == "image/bmp"
    assert best_type(["TARGETS", "STRING"]) is None


async def test_ctrl_v_attaches_the_clipboard_image_and_it_goes_out(display, tmp_path):
    picture = png()
    app = make_app()  # loopback/echo over SSE: it says what image arrived
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        with clipboard_owner(display, picture, "image/png", tmp_path):
            await pilot.press("ctrl+v")
            await wait_for(pilot, lambda: len(app.pending.files) == 1)
        size = f"{round(len(picture) / 1024)} KB"
        name = app.pending.files[0].name
        assert chips(app.composer) == [f"{name} · {size} ✕"]
        assert notices(app)[-1] == f"the clipboard's {size} image is attached as {name} (✕ removes it)"
        await send(pilot, "what is this")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        assert f"got a {size} PNG" in answers(app)[0]
        sent = app.session._loopback.records[-1].request_json["messages"][-1]["content"]
        assert [p["type"] for p in sent] == ["text", "image_url"]


async def test_slash_paste_without_an_image_says_so_and_stays(display, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        with clipboard_owner(display, b"words", "UTF8_STRING", tmp_path):
            await pilot.press(*"/paste", "enter")
            await wait_for(pilot, lambda: notices(app)[-1:] == ["no image on the clipboard (it holds text; your terminal's own paste key pastes text)"])
        assert app.prompt.text == "/paste" and not app.pending.files


async def test_a_pasted_image_is_checked_against_the_model(display, tmp_path):
    app = make_app(model="loopback/refusal")  # reads text attachments only
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        with clipboard_owner(display, png(), "image/png", tmp_path):
            await pilot.press("ctrl+v")
            await wait_for(pilot, lambda: any("cannot read image attachments" in line for line in notices(app)))
        assert not app.pending.files and not chips(app.composer)


async def test_ctrl_v_without_an_image_still_pastes_what_rtchat_copied(display):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.copy_to_clipboard("copied before")
        await pilot.press("ctrl+v")  # the X clipboard is empty: the input's own paste, as before
        await wait_for(pilot, lambda: app.prompt.text == "copied before")
        assert not app.pending.files


def test_an_image_in_another_format_is_converted_to_png(display, tmp_path):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 4), (0, 128, 255)).save(out, "BMP")
    with clipboard_owner(display, out.getvalue(), "image/bmp", tmp_path):
        image = read_clipboard_image()
    assert image.media_type == "image/png"
    with Image.open(io.BytesIO(image.data)) as back:
        assert back.size == (8, 4) and back.convert("RGB").getpixel((3, 2)) == (0, 128, 255)


def test_the_pillow_path_macos_and_windows_take(display, tmp_path):
    """ImageGrab.grabclipboard() is what macOS and Windows use; on Linux Pillow reads the same X
    clipboard through xclip, so its path runs here for real (only the OS backend differs)."""
    from PIL import Image

    with clipboard_owner(display, png(10, 6), "image/png", tmp_path):
        image = read_clipboard_image(platform="darwin")
    assert image.media_type == "image/png" and image.name.endswith(".png")
    with Image.open(io.BytesIO(image.data)) as back:
        assert back.size == (10, 6)
    with pytest.raises(ClipboardProblem, match="^no image on the clipboard"):
        read_clipboard_image(platform="win32")  # nothing on it now


async def test_the_palette_entry_pastes_the_image_and_a_dialogs_ctrl_v_is_its_own(display, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        with clipboard_owner(display, png(), "image/png", tmp_path):
            await pilot.press("ctrl+p", *"paste image")
            await wait_for(pilot, lambda: palette_offers(app, "Paste image from clipboard"))
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(app.pending.files) == 1)
        with clipboard_owner(display, png(20, 10), "image/png", tmp_path):
            await pilot.press("ctrl+f")  # the search dialog: ctrl+v there is its input's own paste
            await wait_for(pilot, lambda: app.screen is not app.chat)
            await pilot.press("ctrl+v", "escape")
            await wait_for(pilot, lambda: app.screen is app.chat)
        with clipboard_owner(display, png(30, 10), "image/png", tmp_path):
            await pilot.press("ctrl+v")  # back in the chat: this one attaches
            await wait_for(pilot, lambda: len(app.pending.files) >= 2)
        assert [len(f.data) for f in app.pending.files] == [len(png()), len(png(30, 10))], "nothing came from the dialog's ctrl+v"

"""Images over the sockets: a Realtime session (WebSocket and the WebRTC data channel) and a Gemini
Live session take them in each provider's own shape; what a socket cannot take is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtchat.ui.widgets.transcript.messages import UserMessage
from tests.support.attachments import PDF, ask_process, png
from tests.support.ui import chips, idle, make_app, notices, ready, send, wait_for

SIZE = f"got a {round(len(png()) / 1024)} KB PNG"
SOCKETS = {  # (model, base-URL suffix, protocol, env, the loopback's wire)
    "realtime-websocket": ("loopback/echo", "/v1", "websocket", {}, "openai_realtime"),
    "realtime-webrtc": ("loopback/echo", "/v1", "webrtc", {}, "openai_realtime"),
    "gemini-live": ("gemini/echo", "", "websocket", {"GEMINI_API_KEY": "k"}, "gemini_live"),
}


@pytest.mark.parametrize("socket", list(SOCKETS))
async def test_an_image_goes_over_the_socket_and_the_echo_names_it(tmp_path, loopback, picture, socket):
    model, suffix, protocol, env, wire = SOCKETS[socket]
    notes = tmp_path / "notes.txt"
    notes.write_text("the heron is in the notes file")
    code, out, err = await ask_process(tmp_path, "-m", model, "--base-url", loopback.url + suffix, "--protocol", protocol, "-a", str(picture), "-a", str(notes), "what is this", **env)
    assert code == 0, err
    assert SIZE in out, out
    assert "the heron is in the notes file" in out, "a text file travels inside the words"
    [connection] = [c for c in loopback.connections if c.wire == wire]
    assert connection.files == [("image/png", len(png()))]
    if wire == "openai_realtime":
        assert connection.received.count("conversation.item.create") == 1


async def test_a_pdf_to_a_socket_is_one_line_naming_what_it_takes(tmp_path, loopback):
    document = tmp_path / "doc.pdf"
    document.write_bytes(PDF)
    code, out, err = await ask_process(tmp_path, "-m", "loopback/echo", "--base-url", loopback.url + "/v1", "--protocol", "websocket", "-a", str(document), "hi")
    assert code == 2 and out == ""
    assert err.strip() == "rtchat: doc.pdf: a Realtime session takes PNG, JPEG images and text; switch to SSE to send this pdf (--protocol sse; ctrl+n in the app)"
    assert loopback.connections == [] and loopback.records == [], "nothing was sent"


async def test_a_webp_goes_to_gemini_live_but_realtime_takes_png_and_jpeg_only(tmp_path, loopback):
    webp = tmp_path / "pic.webp"
    webp.write_bytes(b"RIFF" + (56).to_bytes(4, "little") + b"WEBP" + b"\x00" * 56)
    code, _, err = await ask_process(tmp_path, "-m", "loopback/echo", "--base-url", loopback.url + "/v1", "--protocol", "webrtc", "-a", str(webp), "hi")
    assert code == 2 and "pic.webp: a Realtime session takes PNG, JPEG images and text" in err
    code, out, err = await ask_process(tmp_path, "-m", "gemini/echo", "--base-url", loopback.url, "--protocol", "websocket", "-a", str(webp), "hi", GEMINI_API_KEY="k")
    assert code == 0, err
    assert "got a 68 B WEBP" in out
    gif = tmp_path / "anim.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 64)
    code, _, err = await ask_process(tmp_path, "-m", "gemini/echo", "--base-url", loopback.url, "--protocol", "websocket", "-a", str(gif), "hi", GEMINI_API_KEY="k")
    assert code == 2 and "anim.gif: a Live session takes PNG, JPEG, WEBP images and text" in err


async def test_a_beta_realtime_server_is_refused_images_once_it_names_its_dialect(tmp_path, loopback, picture):
    code, out, err = await ask_process(tmp_path, "-m", "loopback/echo", "--base-url", loopback.url + "/beta/v1", "--protocol", "websocket", "-a", str(picture), "hi")
    assert code == 2, (out, err)
    assert "pic.png: this Realtime server speaks the beta dialect, which has no field for image bytes" in err
    [connection] = loopback.connections
    assert connection.dialect == "beta" and "conversation.item.create" not in connection.received and connection.files == []


async def test_the_app_attaches_an_image_and_sends_it_over_the_websocket(isolated, tmp_path, picture, monkeypatch):
    document = tmp_path / "doc.pdf"
    document.write_bytes(PDF)
    monkeypatch.chdir(tmp_path)  # typed as short relative paths: Pilot types ~60 ms a key
    document = Path(document.name)  # the picture fixture is already pic.png in this folder
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        assert app.state.protocol == "websocket"
        await pilot.press(*f"/attach {document}", "enter")
        await wait_for(pilot, lambda: bool(notices(app)))
        assert notices(app)[-1] == "doc.pdf: a Realtime session takes PNG, JPEG images and text; switch to SSE to send this pdf (--protocol sse; ctrl+n in the app)"
        assert app.pending.files == [] and app.prompt.text == f"/attach {document}", "the command stays to be fixed"
        app.prompt.clear()
        await pilot.press(*f"/attach {picture}", "enter")
        await wait_for(pilot, lambda: len(app.pending.files) == 1)
        await send(pilot, "what is this")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        assert SIZE in app.state.conversation.messages[1].text
        [connection] = app.session._loopback.connections
        assert connection.wire == "openai_realtime" and connection.files == [("image/png", len(png()))]
        assert chips(app.transcript.query_one(UserMessage)) == [f"pic.png · {round(len(png()) / 1024)} KB"]


async def test_a_responses_socket_carries_images_and_pdfs_as_its_sse_twin_does(tmp_path, loopback, picture):
    document = tmp_path / "doc.pdf"
    document.write_bytes(PDF)
    code, out, err = await ask_process(tmp_path, "-m", "openai/echo", "--base-url", loopback.url + "/v1", "--protocol", "websocket", "-a", str(picture), "-a", str(document), "hi", OPENAI_API_KEY="k")
    assert code == 0, err
    assert f"{SIZE} and a {round(len(PDF) / 1024)} KB PDF" in out
    assert [c.wire for c in loopback.connections] == ["openai_responses_ws"]

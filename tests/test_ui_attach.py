"""Attachments in the app: /attach with path completion, a pasted path, chips (pending,
removable, then in the sent prompt), each SSE wire's own parts in the recorded request,
one-line refusals that lose nothing, and the files back when the conversation reopens."""

from __future__ import annotations

import json

import pytest
from textual import events

from rtchat.ui.widgets.input.chips import Chip
from rtchat.ui.widgets.transcript.messages import UserMessage
from tests.support.attachments import png
from tests.support.ui import answers, chips, command, focus, idle, loopback_app, make_app, notices, paste, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

# wire -> (model, the kinds of file part the last user message carried, in the wire's own words)
WIRES = {
    "openai_chat": ("loopback/echo", lambda body: [p["type"] for p in body["messages"][-1]["content"] if p["type"] != "text"], ["image_url"]),
    "anthropic": ("anthropic/echo", lambda body: [p["type"] for p in body["messages"][-1]["content"] if p["type"] != "text"], ["image"]),
    "gemini": ("gemini/echo", lambda body: [next(iter(p)) for p in body["contents"][-1]["parts"] if "text" not in p], ["inlineData"]),
    "openai_responses": ("responses/echo", lambda body: [p["type"] for p in body["input"][-1]["content"] if p["type"] != "input_text"], ["input_image"]),
}


@pytest.mark.parametrize("wire", list(WIRES))
async def test_attach_sends_each_wires_own_part_and_shows_a_chip(monkeypatch, picture, wire):
    model, parts, expected = WIRES[wire]
    app = loopback_app(monkeypatch, model)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, f"/attach {picture}")
        await wait_for(pilot, lambda: app.prompt.text == "")
        size = f"{round(len(png()) / 1024)} KB"
        assert chips(app.composer) == [f"pic.png · {size} ✕"]
        await send(pilot, "what is this")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        assert parts(app.session._loopback.records[-1].request_json) == expected
        assert f"got a {size} PNG" in answers(app)[0]
        assert chips(app.composer) == [], "sent: no longer pending"
        assert chips(app.transcript.query_one(UserMessage)) == [f"pic.png · {size}"]


async def test_path_completion_tab_and_a_pasted_path(tmp_path, monkeypatch, picture):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await paste(pilot, "/attach ~/pi")
        assert [item.label for item in app.composer.popup.items] == ["~/pic.png"]
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: len(app.pending.files) == 1)
        assert app.pending.files[0].name == "pic.png"
        await pilot.press("backspace")  # in the empty input: the last pending file goes
        await wait_for(pilot, lambda: not app.pending.files and not chips(app.composer))
        dragged = picture.resolve()
        app.post_message(events.Paste(f"'{dragged}'"))  # as the terminal driver delivers a dragged file
        await wait_for(pilot, lambda: app.prompt.text == f"/attach {dragged}")
        assert "Enter attaches this file" in notices(app)[-1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(chips(app.composer)) == 1)
        await pilot.click(Chip)  # a click on ✕ removes it
        await wait_for(pilot, lambda: not app.pending.files and not chips(app.composer))
        app.post_message(events.Paste("just some words"))
        await wait_for(pilot, lambda: app.prompt.text == "just some words")


async def test_refusals_are_one_line_and_lose_nothing(tmp_path, picture):
    big = tmp_path / "big.png"
    big.write_bytes(png() + b"\x00" * (21 * 2**20))  # over the 20 MB a chat-completions image may be
    app = make_app(model="loopback/refusal")  # reads text attachments only
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, f"/attach {picture}")  # the file is read by a worker: its line comes when read
        await wait_for(pilot, lambda: notices(app)[-1:] == ["loopback/refusal cannot read image attachments (pic.png); it takes text only"])
        assert app.prompt.text == f"/attach {picture}", "the command stays to be fixed"
        app.prompt.clear()
        await command(pilot, "/attach nothing.png")
        await wait_for(pilot, lambda: notices(app)[-1].startswith("cannot read nothing.png"))
        app.switch_model("loopback/echo")
        await wait_for(pilot, lambda: app.state.ref == "loopback/echo" and app.state.ready.is_set())
        app.prompt.clear()
        await command(pilot, f"/attach {big.name}")
        await wait_for(pilot, lambda: notices(app)[-1].startswith("big.png is 21.0 MB, over the 20.0 MB"))
        app.prompt.clear()
        await command(pilot, f"/attach {picture}")
        await wait_for(pilot, lambda: len(app.pending.files) == 1)
        app.switch_model("loopback/refusal")  # attached for one model, sent to another
        await wait_for(pilot, lambda: app.state.ref == "loopback/refusal" and app.state.ready.is_set())
        await send(pilot, "describe it")
        assert notices(app)[-1].startswith("loopback/refusal cannot read image attachments")
        assert app.prompt.text == "describe it" and len(app.pending.files) == 1
        assert app.state.conversation.messages == [] and app.session._loopback.records == []


async def test_files_are_stored_and_come_back_with_the_conversation(picture):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await command(pilot, f"/attach {picture}")
        await wait_for(pilot, lambda: len(app.pending.files) == 1)
        await send(pilot, "keep this")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        conversation_id = app.history.conversation_id
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: app.history.conversation_id is None and app.transcript.empty)
        await app.open_conversation(conversation_id).wait()  # the worker has shown it, switched the model and focused the prompt
        await wait_for(pilot, lambda: bool(app.transcript.query(UserMessage)))
        assert chips(app.transcript.query_one(UserMessage))[0].startswith("pic.png · ")
        await send(pilot, "and again")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 2)
        first_user = app.session._loopback.records[-1].request_json["messages"][0]
        assert [p["type"] for p in first_user["content"]] == ["text", "image_url"], "the file goes back with the history"


async def test_an_edited_prompt_starts_with_its_files_and_one_can_be_removed(tmp_path, picture):
    notes = tmp_path / "notes.txt"
    notes.write_text("remember the milk\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        for path in (picture, notes):
            await command(pilot, f"/attach {path}")
            await wait_for(pilot, lambda: app.prompt.text == "")
        await send(pilot, "what are these")
        await wait_for(pilot, lambda: idle(app) and len(answers(app)) == 1)
        await pilot.press("escape", "up")  # the answer, then the prompt above it
        await wait_for(pilot, lambda: isinstance(app.focused, UserMessage))
        await pilot.press("e")
        await wait_for(pilot, lambda: app.prompt.text == "what are these" and len(chips(app.composer)) == 2)
        assert [c.split(" · ")[0] for c in chips(app.composer)] == ["pic.png", "notes.txt"]
        assert "with its 2 files" in notices(app)[-1]
        await pilot.click(Chip)  # ✕ on the first chip: the picture goes, the notes stay
        await wait_for(pilot, lambda: [f.name for f in app.pending.files] == ["notes.txt"])
        await focus(pilot, app.prompt)
        await pilot.press("enter")
        await wait_for(pilot, lambda: idle(app) and len(app.session._loopback.records) == 2 and chips(app.composer) == [])
        sent = json.dumps(app.session._loopback.records[-1].request_json["messages"][-1])
        assert "image_url" not in sent, "the removed picture did not go"
        assert "remember the milk" in sent, "the text file went with the edited prompt"
        assert [c.split(" · ")[0] for c in chips(list(app.transcript.query(UserMessage))[-1])] == ["notes.txt"]

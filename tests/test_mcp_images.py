"""A tool's images go to the model as images, in each wire's own shape, from a real MCP server
(the SDK's own, over streamable HTTP) through rtchat's turn to the loopback on 127.0.0.1; what
is asserted is the follow-up request as the loopback received it. A model that reads no images
gets the one-line description only. The user pressing y is the edge."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from rtchat.attachments import human_size
from rtchat.config_rules import McpServer
from rtchat.conversation import Conversation
from rtchat.events import Done, ToolCallResult, event_to_dict
from rtchat.tools.approval import ConversationTools
from tests.support.approvers import Yes
from tests.support.attachments import png
from tests.support.mcp_servers import PHOTO_TEXT, http_server
from tests.support.tool_turns import TURN_TARGETS, tool_session

pytestmark = pytest.mark.usefixtures("isolated")

DESCRIBED = "[image/png, 12 KB]"  # how the result's text names the first image (png() is ~12 KB)


async def photo_turn(loopback, wire: str, monkeypatch, *, reads_images: bool = True) -> list:
    """One `photo()` turn on `wire` with the photo server configured; the turn's events."""
    model, suffix, _, _ = TURN_TARGETS[wire]
    session = tool_session(wire, monkeypatch)
    async with http_server("pics") as served:
        session.config.mcp_servers["pics"] = McpServer("pics", url=served.url)
        try:
            target = await session.resolve(model, loopback.url + suffix)
            if not reads_images:
                target = replace(target, info=replace(target.info, accepts=("text",)))
            runner = session.tool_runner(target, "sse", Yes(), ConversationTools())
            conversation = Conversation()
            conversation.add_user("photo()")
            events = [event async for event in session.turn(target, conversation, tools=runner).events()]
        finally:
            await session.aclose()
    assert isinstance(events[-1], Done) and events[-1].reason == "complete", events[-1]
    return events


def follow_up(loopback) -> dict:
    return loopback.records[-1].request_json


def data_of(url: str) -> bytes:
    assert url.startswith("data:image/png;base64,"), url[:40]
    return base64.b64decode(url.split(",", 1)[1])


@pytest.mark.parametrize("wire", list(TURN_TARGETS))
async def test_a_tools_images_go_back_to_the_model_as_images_in_the_wires_own_shape(loopback, wire, monkeypatch):
    events = await photo_turn(loopback, wire, monkeypatch)
    [result] = [event for event in events if isinstance(event, ToolCallResult)]
    assert [(image.name, image.media_type, image.data) for image in result.images] == [("image-1.png", "image/png", png()), ("image-2.png", "image/png", png(8, 8))]
    assert result.output.startswith(f"{PHOTO_TEXT}\n{DESCRIBED}") and "[audio/wav, 44 B]" in result.output  # audio stays a line
    assert event_to_dict(result)["images"] == [{"name": "image-1.png", "media_type": "image/png", "bytes": len(png())}, {"name": "image-2.png", "media_type": "image/png", "bytes": len(png(8, 8))}]
    body = follow_up(loopback)
    if wire == "anthropic":
        [results] = [m for m in body["messages"] if isinstance(m["content"], list) and m["content"][0].get("type") == "tool_result"]
        content = results["content"][0]["content"]
        assert content[0] == {"type": "text", "text": result.output}
        assert [(block["type"], block["source"]["media_type"], base64.b64decode(block["source"]["data"])) for block in content[1:]] == [("image", "image/png", png()), ("image", "image/png", png(8, 8))]
    elif wire == "openai_chat":
        roles = [m["role"] for m in body["messages"]]
        assert roles == ["user", "assistant", "tool", "user"]  # the images follow the tool message, in a user message of their own
        assert body["messages"][2]["content"] == result.output
        parts = body["messages"][3]["content"]
        assert [data_of(part["image_url"]["url"]) for part in parts if part["type"] == "image_url"] == [png(), png(8, 8)]
        assert parts[0]["text"] == "Images the tool calls returned:" and parts[1]["text"] == f"{result.id} (photo): image-1.png"
    elif wire == "openai_responses":
        [output] = [item for item in body["input"] if item.get("type") == "function_call_output"]
        assert output["output"][0] == {"type": "input_text", "text": result.output}
        assert [data_of(part["image_url"]) for part in output["output"][1:]] == [png(), png(8, 8)]
    else:
        [response] = [part["functionResponse"] for content in body["contents"] for part in content["parts"] if "functionResponse" in part]
        assert response["response"] == {"output": result.output}
        assert [(part["inlineData"]["mimeType"], base64.b64decode(part["inlineData"]["data"])) for part in response["parts"]] == [("image/png", png()), ("image/png", png(8, 8))]


@pytest.mark.parametrize("wire", ["anthropic", "openai_chat"])
async def test_a_model_that_reads_no_images_gets_the_description_only(loopback, wire, monkeypatch):
    events = await photo_turn(loopback, wire, monkeypatch, reads_images=False)
    [result] = [event for event in events if isinstance(event, ToolCallResult)]
    assert result.images == () and DESCRIBED in result.output
    sent = str(follow_up(loopback))
    assert DESCRIBED in sent and "base64" not in sent and "image_url" not in sent


def test_a_results_images_are_kept_in_the_history_and_the_json_export(tmp_path) -> None:
    from rtchat.attachments import Attachment
    from rtchat.events import TextDelta, ToolCallDelta, ToolImage
    from rtchat.export import dump_json, export_json, records_from_json
    from rtchat.store import Store
    from tests.support.tool_answers import store_tool_answer

    image = ToolImage("image-1.png", "image/png", png())
    events = [
        ToolCallDelta(0, "toolu_1", "photo", "{}"),
        ToolCallResult("toolu_1", "photo", f"{PHOTO_TEXT}\n{DESCRIBED}", ms=2.0, server="pics", images=(image,)),
        TextDelta("A grey square."),
        Done("complete"),
    ]
    with Store.open(tmp_path / "history.db") as store:
        conversation_id = store.create_conversation("m")
        store.add_user_message(conversation_id, "photo()")
        store_tool_answer(store, conversation_id, events, provider="anthropic")
    with Store.open(tmp_path / "history.db") as store:  # reopened: what `--continue` resends
        record, messages = store.load_conversation(conversation_id)
    [result] = messages[1].rounds[0].results
    assert result.images == [Attachment("image-1.png", "image/png", png())]
    data = json.loads(dump_json(export_json(record, messages)))
    assert data["messages"][1]["rounds"][0]["results"][0]["images"] == [{"name": "image-1.png", "media_type": "image/png", "data_base64": base64.b64encode(png()).decode()}]
    assert records_from_json(data) == (record, messages)


async def test_the_tool_card_shows_a_chip_line_for_each_image_sent(isolated) -> None:
    from rtchat.ui.widgets.transcript.tool_card import ToolCard
    from tests.support.mcp_servers import SCRIPT
    from tests.support.ui import idle, ready, send, wait_for
    from tests.support.ui_tools import START, app_with_server, asked

    app = app_with_server(isolated, "pics", str(SCRIPT))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "photo()")
        card = await asked(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert card.state == "ok" and card._images.display
        assert str(card._images.render()) == f"[image image-1.png · {human_size(len(png()))}]  [image image-2.png · {human_size(len(png(8, 8)))}]"
        assert len(app.transcript.query(ToolCard)) == 1

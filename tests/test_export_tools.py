"""Exporting an answer that called tools: Markdown shows each call and its result folded and
inert (a tool's output is hostile: fences, `</details>`, HTML, terminal escapes); JSON carries
the steps whole and reads back equal. Written through the real store writer into SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from rtchat.events import Done, TextDelta, ToolCallDelta, ToolCallResult
from rtchat.export import dump_json, export_json, export_markdown, inert, records_from_json
from rtchat.store import Store
from tests.support.html_render import render, rendered_elements
from tests.support.tool_answers import FIRST_ARGUMENTS, store_tool_answer, tool_answer_events

HOSTILE_OUTPUT = (
    "```\n````` still code\n~~~\n</details></summary>\n<script>alert('tool')</script>\n"
    "<img src=x onerror=alert(1)>\n"
    "\x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x9b2J \u202eevil"
)
HOSTILE_ARGUMENTS = '{"q": "``````` </details><script>x</script> \\u001b \u202e"}'
HOSTILE_NAME = "<img src=x onerror=alert(2)>\n\n</details>`x`\x1b[2J"


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "history.db") as opened:
        yield opened


def record_tool_answer(store: Store, events) -> tuple:
    conversation_id = store.create_conversation("m")
    store.add_user_message(conversation_id, "use the tools")
    store_tool_answer(store, conversation_id, events, provider="anthropic")
    return store.load_conversation(conversation_id)


@pytest.fixture
def hostile(store: Store):
    return record_tool_answer(store, [
        TextDelta("Calling."),
        ToolCallDelta(0, "call_1", "time_now", HOSTILE_ARGUMENTS),
        ToolCallDelta(1, "call_2", HOSTILE_NAME, "not json ```"),
        ToolCallResult("call_1", "time_now", HOSTILE_OUTPUT, ms=3.0, server="time"),
        ToolCallResult("call_2", HOSTILE_NAME, "</details>" * 3, True, 12.4, "demo", "error"),
        ToolCallDelta(0, "call_3", "time_now", '{"zone": "</details>"}'),  # shown, never answered
        Done("interrupted"),
    ])


def fenced_contents(markdown: str) -> list[str]:
    return [token.content for token in MarkdownIt("commonmark").parse(markdown) if token.type == "fence"]


def test_tool_output_cannot_act_or_leave_its_folded_block(hostile) -> None:
    markdown = export_markdown(*hostile)
    elements = rendered_elements(markdown)
    for tag in ("script", "img", "a", "b"):
        assert elements.opened[tag] == 0, (tag, markdown)
    assert elements.opened["details"] == 3 == elements.closed["details"]  # one per call, the open one too
    assert elements.opened["summary"] == 3 == elements.closed["summary"]
    # Every argument and output is one code block, whole, exactly as the tool said it (made inert).
    contents = fenced_contents(markdown)
    for text in (HOSTILE_ARGUMENTS, HOSTILE_OUTPUT, "not json ```", "</details>" * 3, '{"zone": "</details>"}'):
        assert inert(text) + "\n" in contents, text
    assert len(contents) == 5


def test_tool_output_is_inert_on_a_terminal(hostile) -> None:
    markdown = export_markdown(*hostile)
    unsafe = [ch for ch in markdown if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F]
    assert unsafe == []
    assert "\u202e" not in markdown and "[U+202E]evil" in markdown


def test_each_call_says_its_tool_time_and_outcome(hostile) -> None:
    markdown = export_markdown(*hostile)
    html = render(markdown)
    assert "<details><summary>tool time_now · 3 ms</summary>" in markdown
    assert "<summary>tool &lt;img src=x onerror=alert(2)> &lt;/details>`x` [2J · error · 12 ms</summary>" in markdown  # one line
    assert "<details><summary>tool time_now · no result (the turn was stopped)</summary>" in markdown
    assert '<code class="language-json">{&quot;q&quot;' in html  # JSON arguments are marked as JSON
    assert markdown.index("Calling.") < markdown.index("tool time_now · 3 ms")  # the step's words come first


def test_the_answer_reads_in_the_order_it_happened(store: Store) -> None:
    markdown = export_markdown(*record_tool_answer(store, tool_answer_events()))
    order = ["Which zone? Tokyo.", "Let me look.", FIRST_ARGUMENTS.split("\n")[0], "lighthouse", "declined", '{"zone":"UTC"}', "Now answer.", "It is 19:00 in Tokyo."]
    assert [markdown.index(text) for text in order] == sorted(markdown.index(text) for text in order)
    assert "tool calc · denied</summary>" in markdown


def test_a_branch_forking_after_an_answer_of_only_tool_calls_names_them(store: Store) -> None:
    record, messages = record_tool_answer(store, [ToolCallDelta(0, "call_1", "time_now", "{}"), ToolCallResult("call_1", "time_now", "noon"), Done("interrupted")])
    store.add_user_message(record.id, "first follow-up", parent=messages[1].id)
    store.add_user_message(record.id, "second follow-up", parent=messages[1].id)
    markdown = export_markdown(*store.load_conversation(record.id, all_branches=True))
    assert "_Forks after #2, the answer “tools: time_now”._" in markdown


def test_json_export_carries_the_steps_whole(hostile) -> None:
    record, messages = hostile
    text = dump_json(export_json(record, messages))
    assert not [ch for ch in text if (ord(ch) < 0x20 and ch not in "\n") or 0x7F <= ord(ch) <= 0x9F]
    data = json.loads(text)
    answer = data["messages"][1]
    assert [call["arguments"] for step in answer["rounds"] for call in step["calls"]] == [HOSTILE_ARGUMENTS, "not json ```"]
    assert [result["output"] for result in answer["rounds"][0]["results"]] == [HOSTILE_OUTPUT, "</details>" * 3]
    assert [call["id"] for call in answer["open_calls"]] == ["call_3"]
    assert records_from_json(data) == (record, messages)


def test_json_export_keeps_signatures_and_extras(store: Store) -> None:
    record, messages = record_tool_answer(store, tool_answer_events())
    data = json.loads(dump_json(export_json(record, messages)))
    first = data["messages"][1]["rounds"][0]
    assert first["thinking"][0]["signature"] == "sig-step-1=="
    assert first["calls"][0]["extra"] == {"thought_signature": "c2lnbmF0dXJl/+=="}
    assert first["results"][1] == {"call_id": "call_calc_1", "name": "calc", "output": "The user declined this call.", "is_error": True, "status": "denied", "ms": None, "server": "demo", "images": []}
    assert records_from_json(data) == (record, messages)


def test_a_version_1_export_still_reads(store: Store) -> None:
    record, messages = record_tool_answer(store, [TextDelta("plain"), Done("complete")])
    data = export_json(record, messages)
    for message in data["messages"]:
        del message["rounds"], message["open_calls"]
    data["version"] = 1
    assert records_from_json(data) == (record, messages)

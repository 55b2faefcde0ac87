"""Exports: JSON gives every field back; Markdown is readable and inert in a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtchat.events import Done, Error, Metrics, RedactedThinking, TextDelta, ThinkingDelta, ThinkingSignature, Usage
from rtchat.export import dump_json, export_json, export_markdown, inert, records_from_json
from rtchat.store import Store


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "history.db")
    yield opened
    opened.close()


@pytest.fixture
def conversation(store: Store):
    conv = store.create_conversation("model-a", protocol="sse", system="Answer in haiku.")
    store.add_user_message(conv, "Why is the sky blue?\nBe precise.")
    writer = store.begin_answer(conv, "model-a", provider="anthropic")
    for event in [
        ThinkingDelta("Rayleigh scattering, "),
        ThinkingDelta("shorter wavelengths."),
        ThinkingSignature("sig=="),
        RedactedThinking("opaque"),
        TextDelta("Short waves scatter\nmore."),
        Usage(input_tokens=12, output_tokens=34, cached_tokens=0, reasoning_tokens=5),
        Metrics(connect_ms=10.0, ttft_ms=200.0, total_ms=1500.0, tokens_per_s=30.0),
        Done("complete"),
    ]:
        writer.apply(event)
    store.add_user_message(conv, "And at sunset?")
    cut = store.begin_answer(conv, "model-a")
    cut.apply(TextDelta("Longer paths"))
    cut.close()
    store.add_user_message(conv, "Try again")
    failed = store.begin_answer(conv, "model-b")
    failed.apply(Error("rate_limit", "Too many requests"))
    failed.apply(Done("error"))
    failed.wait()  # the writer thread saves it; jobs run in order, so the others are saved too
    return store.load_conversation(conv)


def test_json_export_round_trips_every_field(conversation) -> None:
    record, messages = conversation
    data = json.loads(dump_json(export_json(record, messages)))
    assert records_from_json(data) == (record, messages)


def test_json_export_rejects_other_documents() -> None:
    with pytest.raises(ValueError):
        records_from_json({"format": "something else"})


def test_markdown_has_prompts_answers_thinking_and_status(conversation) -> None:
    record, messages = conversation
    markdown = export_markdown(record, messages)
    assert markdown.startswith("# Why is the sky blue?\n")
    assert "- Model: model-a" in markdown
    assert "> Answer in haiku." in markdown
    assert "**You**\n\n> Why is the sky blue?\n> Be precise." in markdown
    assert "Short waves scatter\nmore." in markdown
    assert (
        "<details><summary>Thinking</summary>\n\nRayleigh scattering, shorter wavelengths."
        in markdown
    )
    assert "</details>" in markdown
    assert "redacted" in markdown
    assert "Longer paths" in markdown and "interrupted" in markdown
    assert "**Error (rate_limit)**: Too many requests" in markdown
    assert "**Assistant** (model-b)" in markdown


def test_markdown_neutralises_terminal_control_sequences(store: Store) -> None:
    conv = store.create_conversation("m", title="evil\x1b]0;pwned\x07 title")
    store.add_user_message(conv, "hi\x9b31m")
    writer = store.begin_answer(conv, "m")
    writer.apply(ThinkingDelta("think\x1b[2J"))
    writer.apply(TextDelta("clip\x1b]52;c;ZXZpbA==\x07board\x7f \x85 tab\tok\r\nline\rover\x00"))
    writer.apply(Done("complete"))
    writer.wait()
    markdown = export_markdown(*store.load_conversation(conv))
    unsafe = [ch for ch in markdown if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F]
    assert unsafe == []
    assert "clip\ufffd]52;c;ZXZpbA==\ufffdboard\ufffd \ufffd tab\tok\nline\ufffdover\ufffd" in markdown
    assert "# evil\ufffd]0;pwned\ufffd title" in markdown


def test_json_text_escapes_controls_losslessly(store: Store) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "esc\x1b del\x7f c1\x9b ls\u2028 ünïcode")
    record, messages = store.load_conversation(conv)
    text = dump_json(export_json(record, messages))
    assert not [ch for ch in text if (ord(ch) < 0x20 and ch not in "\n") or 0x7F <= ord(ch) <= 0x9F]
    assert "ünïcode" in text
    assert records_from_json(json.loads(text))[1][0].text == "esc\x1b del\x7f c1\x9b ls\u2028 ünïcode"


def test_inert_leaves_ordinary_text_alone() -> None:
    assert inert("plain\ttext\nwith ünïcode ✓") == "plain\ttext\nwith ünïcode ✓"
    assert inert(None) == ""

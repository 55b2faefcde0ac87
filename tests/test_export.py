"""Exports: JSON gives every field back; Markdown is readable and inert in a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.answers import Feed
from rtchat.events import Done, Error, Metrics, RedactedThinking, TextDelta, ThinkingDelta, ThinkingSignature, Usage
from rtchat.export import dump_json, export_json, export_markdown, inert, records_from_json
from rtchat.store import Store
from tests.support.html_render import render, rendered_elements


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
    feed = Feed(writer)
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
        feed(event)
    store.add_user_message(conv, "And at sunset?")
    cut = store.begin_answer(conv, "model-a")
    feed_cut = Feed(cut)
    feed_cut(TextDelta("Longer paths"))
    cut.close()
    store.add_user_message(conv, "Try again")
    failed = store.begin_answer(conv, "model-b")
    feed_failed = Feed(failed)
    feed_failed(Error("rate_limit", "Too many requests"))
    feed_failed(Done("error"))
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
    feed = Feed(writer)
    feed(ThinkingDelta("think\x1b[2J"))
    feed(TextDelta("clip\x1b]52;c;ZXZpbA==\x07board\x7f \x85 tab\tok\r\nline\rover\x00"))
    feed(Done("complete"))
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


HOSTILE_THINKING = "plan</details><script>alert('thinking')</script>\n\n</details>\n\n<details><summary>x"
HOSTILE_TEXT = (
    "Look: <img src=x onerror=alert(1)> and `<b>inline</b>` code.\n\n"
    "```html\n<script>kept as code</script>\n```\n\n"
    "<div>\n<script>alert('block')</script>\n</div>\n\n"
    "<!-- comment --> <a href=\"javascript:alert(2)\">link</a>"
)


@pytest.fixture
def hostile(store: Store):
    conv = store.create_conversation("m", title="<script>alert('title')</script>", system="<iframe src=evil>")
    store.add_user_message(conv, "<style>body{display:none}</style> hi")
    writer = store.begin_answer(conv, "m<b>")
    feed = Feed(writer)
    feed(ThinkingDelta(HOSTILE_THINKING))
    feed(TextDelta(HOSTILE_TEXT))
    feed(Done("complete"))
    second = store.begin_answer(conv, "m")
    feed_second = Feed(second)
    feed_second(ThinkingDelta("an open fence\n```\n"))  # left open: must not swallow </details>
    feed_second(TextDelta("```\n<script>x</script>"))
    feed_second(Done("complete"))
    second.wait()
    return store.load_conversation(conv)


def test_model_html_cannot_act_or_escape_the_thinking_container(hostile) -> None:
    markdown = export_markdown(*hostile)
    elements = rendered_elements(markdown)
    for tag in ("script", "img", "iframe", "style", "a", "div", "b"):
        assert elements.opened[tag] == 0, (tag, markdown)
    assert elements.opened["details"] == 2 == elements.closed["details"]
    assert elements.opened["summary"] == 2 == elements.closed["summary"]


def test_html_stays_readable_as_text_and_code_as_code(hostile) -> None:
    markdown = export_markdown(*hostile)
    html = render(markdown)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, not run
    assert "<code>&lt;b&gt;inline&lt;/b&gt;</code>" in html  # a code span shows its text once, not &amp;lt;
    assert '<code class="language-html">&lt;script&gt;kept as code&lt;/script&gt;' in html
    assert "&amp;lt;" not in html


def test_markdown_names_bidi_controls_and_keeps_rtl_text(store: Store) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "if (admin\u202e) { } שלום 👩\u200d💻")
    markdown = export_markdown(*store.load_conversation(conv))
    assert "\u202e" not in markdown and "admin[U+202E])" in markdown
    assert "שלום 👩\u200d💻" in markdown


def test_json_export_is_strict_when_usage_is_not_finite(store: Store) -> None:
    conv = store.create_conversation("m")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    feed(TextDelta("kept"))
    feed(Usage(input_tokens=float("nan"), output_tokens=float("inf")))
    feed(Metrics(tokens_per_s=float("inf")))
    feed(Done("complete"))
    writer.wait()
    text = dump_json(export_json(*store.load_conversation(conv)))
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    answer = data["messages"][0]
    assert answer["text"] == "kept" and answer["output_tokens"] is None

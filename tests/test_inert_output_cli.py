"""What `rtchat` prints and writes stays inert and strict, as a user runs it: real processes,
a real server on 127.0.0.1 sending frames the loopback does not script, the real history file."""

from __future__ import annotations

import json

import pytest

from tests.support.canned_sse import canned_provider_config, canned_sse, chat_frames
from tests.support.env import run_rtchat
from tests.support.html_render import rendered_elements


def strict_loads(text: str):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not RFC 8259 JSON"))


ODD_USAGE = chat_frames(
    '{"choices":[{"index":0,"delta":{"reasoning_content":"plan</details><script>alert(1)</script>"}}]}',
    '{"choices":[{"index":0,"delta":{"content":"before "}}]}',
    '{"choices":[{"index":0,"delta":{"content":"mid"}}],"usage":{"prompt_tokens":NaN,"completion_tokens":Infinity}}',
    '{"choices":[{"index":0,"delta":{"content":" after <img src=x onerror=alert(2)>"},"finish_reason":"stop"}]}',
)


@pytest.fixture
def odd_server(tmp_path):
    with canned_sse(ODD_USAGE) as url:
        canned_provider_config(tmp_path / "config", url)
        yield url


def test_jsonl_is_strict_and_the_text_around_odd_usage_is_kept(tmp_path, odd_server):
    result = run_rtchat(tmp_path, "ask", "--jsonl", "-m", "canned/m", "hi")
    assert result.returncode == 0, result.stderr
    events = [strict_loads(line) for line in result.stdout.splitlines()]
    usage = next(e for e in events if e["type"] == "usage")
    assert usage["input_tokens"] is None and usage["output_tokens"] is None
    assert "".join(e["text"] for e in events if e["type"] == "text") == "before mid after <img src=x onerror=alert(2)>"
    assert events[-1] == {"type": "done", "reason": "complete"}


def test_export_and_history_json_are_strict(tmp_path, odd_server):
    assert run_rtchat(tmp_path, "ask", "-m", "canned/m", "hi").returncode == 0
    exported = run_rtchat(tmp_path, "export", "last", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    answer = strict_loads(exported.stdout)["messages"][-1]
    assert answer["text"] == "before mid after <img src=x onerror=alert(2)>" and answer["output_tokens"] is None
    listed = run_rtchat(tmp_path, "history", "--json")
    assert listed.returncode == 0 and strict_loads(listed.stdout)[0]["messages"] == 2


def test_markdown_export_renders_no_html_from_the_model(tmp_path, odd_server):
    assert run_rtchat(tmp_path, "ask", "-m", "canned/m", "<script>alert(3)</script>").returncode == 0
    exported = run_rtchat(tmp_path, "export", "last")
    assert exported.returncode == 0, exported.stderr
    elements = rendered_elements(exported.stdout)
    assert elements.opened["script"] == 0 and elements.opened["img"] == 0
    assert elements.opened["details"] == 1 == elements.closed["details"]


def test_bidi_controls_are_named_in_ask_and_export(tmp_path):
    prompt = "if (admin\u202e) {} \u2066x\u2069 שלום 👩\u200d💻"
    result = run_rtchat(tmp_path, "ask", "-m", "loopback/echo", prompt)
    assert result.returncode == 0, result.stderr
    assert "\u202e" not in result.stdout and "\u2066" not in result.stdout
    assert "admin[U+202E])" in result.stdout and "[U+2066]x[U+2069]" in result.stdout
    assert "שלום 👩\u200d💻" in result.stdout
    exported = run_rtchat(tmp_path, "export", "last")
    assert "\u202e" not in exported.stdout and "admin[U+202E])" in exported.stdout
    as_json = run_rtchat(tmp_path, "export", "last", "--format", "json").stdout
    assert "\u202e" not in as_json and "\\u202e" in as_json
    assert prompt in strict_loads(as_json)["messages"][0]["text"]

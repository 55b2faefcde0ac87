"""The streaming Markdown split, links shown with their targets, and lazy mounting of long histories."""

from __future__ import annotations

import pytest
from rich.console import Console

from rtchat.conversation import ChatMessage, Conversation
from rtchat.ui.widgets.transcript.markdown_blocks import final_boundary
from rtchat.ui.widgets.transcript.messages import MessageView
from rtchat.ui.widgets.transcript.streaming_markdown import rich_markdown
from tests.support.ui import make_app, ready, wait_for


pytestmark = pytest.mark.usefixtures("isolated")


def test_final_boundary_is_last_blank_line_outside_fences():
    text = "para one\n\npara two\n\n```\ncode\n\nmore\n"
    assert text[: final_boundary(text)] == "para one\n\npara two\n\n"  # the open fence's blank line does not count
    closed = text + "```\n\nafter"
    assert closed[: final_boundary(closed)].endswith("```\n\n")


def test_final_boundary_waits_for_indented_continuations():
    text = "- item\n\n  continued\n\nnext"
    assert text[: final_boundary(text)] == "- item\n\n  continued\n\n"
    assert final_boundary("growing line without newline") == 0


def shown(markdown: str) -> tuple[str, list]:
    """What an answer looks like on screen, as text, and the hyperlinks a click could follow."""
    console = Console(width=200, record=True, color_system="truecolor")
    segments = list(console.render(rich_markdown(markdown)))
    console.print(rich_markdown(markdown))
    return " ".join(console.export_text().split()), [s.style.link for s in segments if s.style and s.style.link]


def test_links_and_images_show_their_targets_and_nothing_is_clickable():
    text = "see [docs](https://evil.example), [ref][1] and ![logo](https://img.example/a.png)\n\n[1]: https://ref.example"
    screen, links = shown(text)
    assert "see docs (https://evil.example), ref (https://ref.example) and logo (image: https://img.example/a.png)" in screen
    assert links == []


def test_code_html_and_autolinks_show_as_typed():
    screen, _ = shown("`[x](y)` <script>alert(1)</script> <https://auto.example>\n\n```\n[a](b)\n```\n\n<div>block</div>")
    assert "[x](y) <script>alert(1)</script> <https://auto.example>" in screen
    assert "[a](b)" in screen and "<div>block</div>" in screen


def test_lookalike_hosts_show_in_punycode():
    screen, _ = shown("[bank](https://b\u0430nk.example)")  # a Cyrillic a
    assert "bank (https://xn--bnk-" in screen


async def test_long_history_mounts_lazily():
    conversation = Conversation()
    for i in range(500):
        conversation.messages.append(ChatMessage("user", f"q{i}"))
        conversation.messages.append(ChatMessage("assistant", f"a{i}"))
    app = make_app(history=conversation)
    async with app.run_test() as pilot:
        await ready(pilot)
        mounted = len(app.transcript.query(MessageView))
        assert mounted < 100 and app.transcript.pending_history == 1000 - mounted
        app.transcript.scroll_home(animate=False)
        await wait_for(pilot, lambda: len(app.transcript.query(MessageView)) > mounted)

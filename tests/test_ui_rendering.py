"""The streaming Markdown split, link revealing, and lazy mounting of long histories."""

from __future__ import annotations

import pytest

from rtchat.conversation import ChatMessage, Conversation
from rtchat.ui.markdown_blocks import final_boundary, reveal_links
from rtchat.ui.widgets.messages import MessageView
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


def test_reveal_links_shows_targets_but_leaves_code_alone():
    text = "see [docs](https://evil.example) and `[x](y)`\n```\n[a](b)\n```\n<script>"
    shown = reveal_links(text)
    assert "docs (https://evil.example)" in shown
    assert "`[x](y)`" in shown and "[a](b)" in shown
    assert "\\<script>" in shown


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

"""The history search's snippets read as the transcript shows a message: Markdown's marks gone
(`**`, backticks, `#`, list marks), every word and link target kept, the hit still highlighted,
hostile text inert. A tool step's snippet (JSON, not Markdown) stays as stored."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from rtchat.store import SearchHit, Store, default_path
from rtchat.ui.screens.search import MARK, hit_label
from rtchat.ui.widgets.transcript.markdown_text import markdown_text
from tests.support.search import search_for
from tests.support.ui import make_app, ready

pytestmark = pytest.mark.usefixtures("isolated")

MESSAGE = "# Airship notes\n\nThe **airship** flew; run `airship up`.\n\n- one airship"  # under 12 words: one whole snippet


def highlighted(label) -> list[str]:
    """The stretches of a hit's label drawn as the match (bold, reversed)."""
    return [label.plain[span.start : span.end] for span in label.spans if "reverse" in str(span.style)]


async def test_a_markdown_message_is_found_and_shown_as_its_words_with_the_hit_highlighted():
    with Store.open(default_path()) as store:
        conversation = store.create_conversation("loopback/echo", title="notes")
        store.add_user_message(conversation, MESSAGE)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await search_for(pilot, "airship", hits=1)
        label = screen.query_one(OptionList).get_option_at_index(0).prompt
    snippet = label.plain.split("\n", 1)[1].strip()
    assert snippet == "Airship notes The airship flew; run airship up. one airship", snippet
    assert highlighted(label) == ["Airship", "airship", "airship", "airship"]


def test_hostile_markup_stays_inert_and_marks_survive_markdown():
    hit = SearchHit(1, "t\x1b[2J", 2, "assistant", f"…**\x1b]0;pwned\x07 {MARK[0]}zeppelin{MARK[1]}** ![x](javascript:alert(1)) <script>", 0.0)
    label = hit_label(hit)
    assert "\x1b" not in label.plain and "\x07" not in label.plain
    assert "**" not in label.plain
    assert "zeppelin ![x](javascript:alert(1)) <script>" in label.plain  # a script link is no link to markdown-it: shown as typed
    assert highlighted(label) == ["zeppelin"]


def test_a_tool_steps_snippet_is_not_read_as_markdown():
    hit = SearchHit(1, "t", 2, "assistant", f'tool calc result: {{"a": "**{MARK[0]}lighthouse{MARK[1]}**"}}', 0.0, tool="result")
    assert '{"a": "**lighthouse**"}' in hit_label(hit).plain


@pytest.mark.parametrize(
    ("markup", "words"),
    [
        ("a *b* __c__ ~~d~~ \\*e\\*", "a b c d *e*"),
        ("```py\nx = 1\n```\n| h | i |\n|---|---|\n| j | k |", "x = 1 h i j k"),
        ("> quoted\nline", "quoted line"),
        ("…**a fragment cut mid-bold", "…**a fragment cut mid-bold"),  # unmatched marks are the fragment's words
        ("[label](https://x.example/y) and <https://z.example>", "label (https://x.example/y) and <https://z.example>"),
    ],
)
def test_markdown_text(markup, words):
    assert markdown_text(markup) == words

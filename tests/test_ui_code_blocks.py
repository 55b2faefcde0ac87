"""F2 copies one code block of the focused (else the last) answer, chosen in a picker that
names each block's language, size and first line; the copy is inert like every copy.
Blocks come from the answer's Markdown source, not from what is rendered."""

from __future__ import annotations

import pytest

from rtchat.ui.controllers.code_blocks import code_blocks
from rtchat.ui.screens.code_block_picker import CodeBlockPicker
from tests.support.ui import idle, make_app, notices, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

PROMPT = "two blocks:\n\n```python\ndef f():\n    return 1\n```\n\nand\n\n```sh\necho hi\x1b[201~rm -rf ~\n```\n"


async def test_pick_one_block_of_the_last_answer_and_copy_it_inert():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        assert notices(app)[-1] == "no answer yet"
        await send(pilot, PROMPT)
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        await pilot.press("f2")
        assert isinstance(app.screen, CodeBlockPicker)
        rows = [str(app.screen.query_one("OptionList").get_option_at_index(i).prompt) for i in range(2)]
        assert rows == ["1. python · 2 lines · def f():", "2. sh · 1 line · echo hi␛[201~rm -rf ~"]
        await pilot.press("down", "enter")
        assert app.clipboard == "echo hi␛[201~rm -rf ~\n", "the bracketed-paste end is made inert"
        assert notices(app)[-1] == "copied the sh block (1 line)"
        await send(pilot, "plain words")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 4)
        await pilot.press("f2")
        assert notices(app)[-1] == "no code block in that answer", "the last answer, when none is focused"
        await pilot.press("escape", "up", "up")  # focus the first answer
        await pilot.press("f2", "enter")
        assert app.clipboard == "def f():\n    return 1\n"


async def test_an_answer_without_code_says_so():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "no code here")
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        await pilot.press("f2")
        assert notices(app)[-1] == "no code block in that answer" and app.clipboard == ""


def test_blocks_from_markdown_source():
    blocks = code_blocks("text\n\n```js title=x\nlet a\n```\n\n    indented\n\n```\nopen fence never closed\nsecond")
    assert [(b.language, b.code, b.lines) for b in blocks] == [
        ("js", "let a\n", 1), ("", "indented\n", 1), ("", "open fence never closed\nsecond", 2),
    ]
    assert blocks[2].describe(width=30) == "text · 2 lines · open fence n…"

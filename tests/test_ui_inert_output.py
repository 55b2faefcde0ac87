"""Model output is data: escape sequences in an answer never reach the terminal from the app."""

from __future__ import annotations

import re

from tests.support.ui import idle, make_app, plain, ready, send, wait_for

HOSTILE = "clip \x1b]52;c;ZXZpbA==\x07 clear \x1b[2J title \x1b]0;pwned\x07 c1 \x9b31m end"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


async def test_escape_sequences_in_an_answer_are_shown_inert(isolated):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, HOSTILE)
        await wait_for(pilot, lambda: idle(app) and "end" in plain(app.screen) and "characters" in plain(app.screen))
        shown = plain(app.screen)
        screenshot = app.export_screenshot()
    assert "␛]52;c;ZXZpbA==" in shown, "the sequence is visible as text"
    assert not CONTROL.search(shown)
    assert "\x1b" not in screenshot and "\x9b" not in screenshot and "\x07" not in screenshot


PASTE_ATTACK = "harmless\x1b[201~\nrm -rf ~ \x9b201~ \u202eevil\u202c"


async def test_what_the_app_copies_is_inert(isolated):
    """F8 and `c` copy through one gate: no ESC, no C1, no bidi control reaches the clipboard."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, PASTE_ATTACK)
        await wait_for(pilot, lambda: idle(app) and len(app.state.conversation.messages) == 2)
        await pilot.press("f8")
        copied = app.clipboard
        await pilot.press("escape", "c")
        copied_again = app.clipboard
    for text in (copied, copied_again):
        assert "harmless" in text and "rm -rf" in text, "the words are kept"
        assert not CONTROL.search(text.replace("\n", "").replace("\t", ""))
        assert "\u202e" not in text and "\x1b" not in text

"""Answers of any shape stream without freezing the app, and render as Rich renders them whole.

The shapes (one 10,000-row table, one 5,000-line code block, one ~1 MB line)
come from the loopback's `shape-*` models over real sockets; the app is the real
one under Pilot. While each streams, typed keys reach the input and Ctrl-C ends
the turn as interrupted with the partial answer kept on screen.
"""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from rich.segment import Segment

from rtchat.loopback import scripts
from rtchat.loopback.scripts import lorem_text, tokenize
from rtchat.ui.widgets.transcript.inert_markdown import InertMarkdown
from rtchat.ui.widgets.transcript.sealing import Sealer, plain
from rtchat.ui.widgets.transcript.streaming_markdown import StreamingMarkdown
from tests.support.ui import idle, make_app, ready, send, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

SHAPES = {  # model -> a line the start of its answer shows
    "shape-table": "Row",
    "shape-code": "value_1 = 1",
    "shape-line": "lorem",
}


def whole(console: Console, text: str, width: int) -> str:
    options = console.options.update_width(width).update(height=None)
    return plain(list(Segment.split_lines(console.render(InertMarkdown(text), options))))


def streamed(console: Console, text: str, width: int, step: int) -> str:
    """Feed `text` token by token, sealing and rendering the tail as the frame timer does."""
    sealer = Sealer()
    sealer.rewidth(width)
    tokens = tokenize(text)
    for index in range(0, len(tokens), step):
        for token in tokens[index : index + step]:
            sealer.append(token)
        sealer.seal(console, 0.005)
        sealer.tail(console)
    while not sealer.seal(console, 0.005, final=True):
        pass
    return plain(sealer.sealed + sealer.tail(console)[0])


@pytest.mark.parametrize("shape", ["lorem", *SHAPES])
def test_an_answer_sealed_in_stretches_looks_as_rendered_whole(shape, monkeypatch):
    monkeypatch.setattr(scripts, "SHAPE_TABLE_ROWS", 400)  # big enough to be cut inside, small enough to render whole
    monkeypatch.setattr(scripts, "SHAPE_CODE_LINES", 400)
    monkeypatch.setattr(scripts, "SHAPE_LINE_BYTES", 30_000)
    text = lorem_text() if shape == "lorem" else scripts.shape_text(shape)
    console = Console(width=100, color_system="truecolor")
    shown, expected = streamed(console, text, 100, step=150), whole(console, text, 100)
    if shape == "shape-table":  # its columns keep the widths of the first stretch: every cell, wrapped otherwise
        assert row_numbers(shown) == row_numbers(expected) == list(range(1, 401))
        shown, expected = sorted(re.sub(r"[\s─]", "", shown)), sorted(re.sub(r"[\s─]", "", expected))
    assert shown == expected


def row_numbers(text: str) -> list[int]:
    return [int(match) for match in re.findall(r"^ *(\d+) ", text, re.MULTILINE)]


def shown(body: StreamingMarkdown) -> str:
    return "\n".join(body.render_line(y).text for y in range(body.size.height))


def type_keys(app, *keys: str) -> None:
    """Keys as a terminal sends them: posted at once, without waiting for the app to settle."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


@pytest.mark.parametrize("shape", SHAPES)
async def test_typing_and_ctrl_c_are_served_while_a_huge_block_streams(shape):
    app = make_app(model=f"loopback/{shape}")  # full speed: the whole answer is on the wire within a second or so
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await send(pilot, "go")
        await wait_for(pilot, lambda: app.turns.runner is not None and len(app.turns.runner.view.text) > 20_000)
        answer = app.turns.runner.view
        type_keys(app, "h", "i", "ctrl+c")
        await wait_for(pilot, lambda: answer.reason is not None)
        assert answer.reason == "interrupted"  # a frozen app takes the keys only after the answer completed
        assert "interrupted" in str(answer.status.render()) and answer.status.display
        await wait_for(pilot, lambda: idle(app))
        assert app.prompt.text == "hi"  # typed while the answer streamed; Ctrl-C while streaming keeps the input
        assert app.status.facts.state == "interrupted"
        full = scripts.shape_text(shape)
        assert 20_000 < len(answer.text) < len(full) and full.startswith(answer.text)  # the partial answer is kept
        assert SHAPES[shape] in shown(answer.body)

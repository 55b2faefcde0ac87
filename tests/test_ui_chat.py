"""Pilot tests of the chat flow against the real in-process loopback server."""

from __future__ import annotations

import pytest

from rtchat.ui.widgets.transcript.messages import AssistantMessage, ErrorMessage, UserMessage
from rtchat.ui.widgets.input.prompt_input import PromptInput
from tests.support.ui import focus, idle, make_app, ready, send, wait_for


pytestmark = pytest.mark.usefixtures("isolated")


def shown_text(widget) -> str:
    """The plain text of every Markdown block under `widget`, as rendered."""
    from rtchat.ui.widgets.transcript.streaming_markdown import MarkdownPiece, StreamingMarkdown

    lines = []
    for piece in widget.query(MarkdownPiece):
        lines.extend(strip.text for strip in piece._lines(max(piece.content_size.width, 40)))
    for body in widget.query(StreamingMarkdown):
        lines.extend(body.render_line(y).text for y in range(body.size.height))
    return "\n".join(lines)


async def test_echo_answer_with_thinking_and_markup_literal():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hello world [bold]x[/bold] [link](https://evil.example)")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app))
        answer = app.transcript.query_one(AssistantMessage)
        assert "hello world" in answer.text
        assert answer.thinking is not None and answer.thinking.title.startswith("thought for")
        assert answer.thinking.collapsed  # folds itself once the answer starts
        shown = shown_text(answer)
        assert "[bold]x[/bold]" in shown  # markup in model output stays literal
        assert "https://evil.example" in shown  # a link shows its real target
        assert app.status.facts.state == "done"
        assert app.status.facts.usage is not None and app.status.facts.usage.output_tokens
        assert isinstance(app.focused, PromptInput)
        # multi-turn: the conversation keeps the answer with its thinking
        assert [m.role for m in app.state.conversation.messages] == ["user", "assistant"]
        assert app.state.conversation.messages[1].thinking[0].provider == "loopback"


async def test_ctrl_c_interrupts_and_keeps_partial_answer():
    app = make_app(model="loopback/lorem")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "write")
        await wait_for(pilot, lambda: app.turns.runner is not None and len(app.turns.runner.turn.answer().text) > 20)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))
        answer = app.transcript.query_one(AssistantMessage)
        assert answer.reason == "interrupted"
        assert "interrupted" in str(answer.status.render())
        assert len(answer.text) > 20
        assert app.state.conversation.messages[-1].text == answer.text, "what is kept for the next turn is what was shown"
        assert isinstance(app.focused, PromptInput)
        assert app.is_running


async def test_ctrl_c_idle_clears_input_and_never_quits():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        app.prompt.load_text("draft")
        await pilot.press("ctrl+c")
        assert app.prompt.text == ""
        await pilot.press("ctrl+c")
        assert app.is_running


async def test_ctrl_q_quits_while_streaming():
    app = make_app(model="loopback/lorem")
    async with app.run_test() as pilot:
        await ready(pilot)
        await send(pilot, "write")
        await wait_for(pilot, lambda: app.turns.runner is not None and app.turns.runner.turn.answer().text)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None)  # only exit() sets it; leaving run_test does not
    assert app.return_code == 0


async def test_input_newline_history_and_typing_while_streaming():
    app = make_app(model="loopback/lorem")
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+j", "b")
        assert app.prompt.text == "a\nb"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.turns.runner is not None)
        await pilot.press("x", "y")  # usable while the answer streams
        assert app.prompt.text == "xy"
        await pilot.press("ctrl+c")  # stops the answer; the draft stays
        await wait_for(pilot, lambda: idle(app))
        assert app.prompt.text == "xy"
        await pilot.press("ctrl+c")
        await pilot.press("up")
        assert app.prompt.text == "a\nb"
        await pilot.press("down")
        assert app.prompt.text == ""
        assert [w.text for w in app.transcript.query(UserMessage)] == ["a\nb"]


async def test_auth_error_shows_inline_with_advice():
    app = make_app(model="loopback/fault-401")
    async with app.run_test() as pilot:
        await ready(pilot)
        await send(pilot, "hi")
        await wait_for(pilot, lambda: app.transcript.query(ErrorMessage) and idle(app))
        error = app.transcript.query_one(ErrorMessage)
        assert "rtchat keys set" in error.text
        assert app.transcript.query_one(UserMessage).text == "hi"  # the prompt is not lost
        assert app.state.conversation.messages == []
        assert app.is_running


async def test_midstream_error_keeps_partial_answer():
    app = make_app(model="loopback/fault-error-midstream")
    async with app.run_test() as pilot:
        await ready(pilot)
        await send(pilot, "one two three four five six seven eight nine ten eleven twelve")
        await wait_for(pilot, lambda: app.transcript.query(ErrorMessage) and idle(app))
        answer = app.transcript.query_one(AssistantMessage)
        assert answer.text and answer.reason == "error"


async def test_thinking_toggles_and_message_copy():
    app = make_app()
    copied: list[str] = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hello")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app))
        answer = app.transcript.query_one(AssistantMessage)
        await pilot.press("escape")  # focus the latest message
        assert app.focused is answer
        await pilot.press("t")
        assert not answer.thinking.collapsed
        await pilot.press("t")
        assert answer.thinking.collapsed
        await pilot.click(answer.thinking._title)  # a click toggles too
        assert not answer.thinking.collapsed
        await pilot.press("c")
        assert copied and "hello" in copied[-1]
        await pilot.press("t")  # folded again, for ctrl+t below
        assert answer.thinking.collapsed
        await pilot.press("f8")  # copy last answer from anywhere
        assert len(copied) == 2
        await focus(pilot, answer)
        await pilot.press("i")
        assert isinstance(app.focused, PromptInput)


def thinking_text_shown(answer) -> bool:
    """The answer's thinking words are on the screen, not only its one-line header."""
    return not answer.thinking.collapsed and answer.thinking.text_body.region.height > 0


async def test_ctrl_t_shows_and_folds_the_thinking_text_of_every_answer():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "one")
        await wait_for(pilot, lambda: app.transcript.query(AssistantMessage) and idle(app))
        first = app.transcript.query_one(AssistantMessage)
        assert first.thinking is not None and first.thinking.collapsed, "folded to its header once the answer began"
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: thinking_text_shown(first))
        await send(pilot, "two")  # an answer that comes while the thinking is shown stays open
        await wait_for(pilot, lambda: len(app.transcript.query(AssistantMessage)) == 2 and idle(app))
        second = list(app.transcript.query(AssistantMessage))[-1]
        await wait_for(pilot, lambda: thinking_text_shown(second))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: first.thinking.collapsed and second.thinking.collapsed)
        assert first.thinking.display and second.thinking.display, "the one-line headers stay"
        await pilot.press("escape", "t")  # the focused answer alone, as before
        await wait_for(pilot, lambda: thinking_text_shown(second) and first.thinking.collapsed)


async def test_follow_tail_and_jump_hint():
    app = make_app(model="loopback/lorem@rate=2000,ttft=0")
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "write")
        await wait_for(pilot, lambda: app.turns.runner is not None and len(app.turns.runner.turn.answer().text) > 3000)
        transcript = app.transcript
        assert transcript.following
        transcript.release_anchor()
        transcript.scroll_home(animate=False)
        await wait_for(pilot, lambda: app.query_one("#jump-hint").has_class("visible") or idle(app))
        assert not transcript.following
        await pilot.press("ctrl+g")
        assert transcript.following
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))

"""Pilot tests of tool calls in the app: the card, the user's y / a / n, Ctrl-C during a call.

The real app under `App.run_test()` against the in-process loopback's `loopback/tools`
model (it calls the tools it is offered, `name(key=value)` in the prompt, and quotes the
results the follow-up request carried), with real MCP servers started by the session's
registry: rtchat's demo server (stdio), the same server configured by the user, or the tool
layer's test server (tests/support/mcp_servers.py) for a call that runs until it is cancelled.
Where a test is about the card and the keys, not the demo server's start, its tools come from
one process this module shares (`demo_url`): the demo server's tools over streamable HTTP,
configured as a server the user named `demo`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

import pytest

from rtchat.config import load_config
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.status.status_facts import format_status
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from rtchat.ui.widgets.transcript.streaming_markdown import StreamingMarkdown
from rtchat.ui.widgets.transcript.tool_card import ToolCard, clipped, pretty_arguments
from tests.support.mcp_servers import demo_over_http
from tests.support.ui import focus, idle, make_app, ready, send, wait_for
from tests.support.ui_tools import START, app_with_server, asked, asking_card

pytestmark = pytest.mark.usefixtures("isolated")

DECLINED = "The user declined this tool call."


@pytest.fixture(scope="module")
def demo_url():
    with demo_over_http() as url:
        yield url


@pytest.fixture
async def demo_app(isolated, demo_url):
    """The app on loopback/tools with the demo tools as the user's server `demo`, shared over HTTP."""
    return app_with_server(isolated, "demo", url=demo_url)

@contextlib.asynccontextmanager
async def asked_after(prompt: str, app=None) -> AsyncIterator[tuple[object, ToolCard]]:
    """The app (else loopback/tools with the demo server) once `prompt` was sent and a card asks."""
    app = app or make_app(model="loopback/tools")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, prompt)
        yield pilot, await asked(pilot)


@contextlib.asynccontextmanager
async def streaming_answer() -> AsyncIterator[tuple[object, AssistantMessage]]:
    """The app with an answer streaming in its transcript, for a test to hand it a turn's events."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        view = AssistantMessage("loopback/tools", streaming=True)
        await app.transcript.add(view)
        yield pilot, view


async def test_allow_once_runs_the_call_and_the_answer_continues_below_its_card(demo_app):
    async with asked_after('calculate(expression="6*7")', demo_app) as (pilot, card):
        app = pilot.app
        assert card.head == "⚙ demo · calculate"
        assert json.loads(card.arguments) == {"expression": "6*7"}
        assert '"expression": "6*7"' in str(card._arguments.render()), "arguments pretty-printed"
        assert "allow?" in str(card._question.render()) and card._question.display
        await wait_for(pilot, lambda: "allow calculate? y a n" in app.status.text)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert card.state == "ok" and str(card._result_text.render()) == "42"
        assert card.state_text.startswith("done in ")
        answer = app.transcript.query_one(AssistantMessage)
        assert "calculate returned: 42" in answer.text
        shown = [child for child in answer.children if child.display]
        last_text = max(i for i, child in enumerate(shown) if isinstance(child, StreamingMarkdown) and child.source)
        assert shown.index(card) < last_text, "the text after the result is below the card"
        kept = app.state.conversation.messages[-1]
        assert kept.rounds[0].results[0].output == "42" and "42" in kept.text
        assert app.status.facts.tool_count == 1 and "tools 1 · " in app.status.text
        assert isinstance(app.focused, PromptInput), "the input gets the keys back"


async def test_at_80_columns_the_finished_status_keeps_the_tools_figure(demo_app):
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, 'calculate(expression="6*7")')
        await asked(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app) and app.status.facts.state == "done", timeout=START)
        shown = app.status.text
        assert "tools 1 · " in shown and len(shown) <= 78, shown  # in/out tokens and cost yield first
        assert format_status(app.status.facts).count(" · in ") == 1, "the whole line had the token counts"


async def test_a_reopened_conversation_shows_its_tool_calls(demo_app):
    async with asked_after('calculate(expression="6*7")', demo_app) as (pilot, card):
        app = pilot.app
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app) and app.history.service.answer_id is not None, timeout=START)
        conversation_id = app.history.conversation_id
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: not app.transcript.query(ToolCard))
        app.chat.open_conversation(conversation_id)
        await wait_for(pilot, lambda: app.transcript.query(ToolCard))
        card = app.transcript.query_one(ToolCard)
        assert (card.head, card.state, str(card._result_text.render())) == ("⚙ demo · calculate", "ok", "42")
        assert "calculate returned: 42" in app.transcript.query_one(AssistantMessage).text


async def test_picking_loopback_tools_starts_the_demo_server_before_the_first_prompt():
    from rtchat.tools.registry import DEMO_SERVER, ServerState

    def demo_state(app):
        return next((status.state for status in app.chat.tools.session.tool_registry().status() if status.name == DEMO_SERVER), None)

    app = make_app(model="loopback/echo")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert demo_state(app) is None, "echo never calls tools: no process for it"
        app.chat.switch_model("loopback/tools")
        await wait_for(pilot, lambda: demo_state(app) is ServerState.READY, timeout=START)  # no prompt sent
        assert not app.state.conversation.messages


async def test_deny_tells_the_model_the_user_declined(demo_app):
    async with asked_after('calculate(expression="6*7")', demo_app) as (pilot, card):
        app = pilot.app
        await pilot.press("n")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert card.state == "denied" and "denied by you" in card.state_text
        result = app.state.conversation.messages[-1].rounds[0].results[0]
        assert (result.status, result.output) == ("denied", DECLINED)
        answer = app.transcript.query_one(AssistantMessage)
        assert DECLINED in answer.text, "the follow-up carried the denial: the model quotes it"


async def test_parallel_calls_are_asked_one_after_the_other_in_order(demo_app):
    async with asked_after('calculate(expression="1+1") calculate(expression="2+2")', demo_app) as (pilot, first):
        app = pilot.app
        cards = list(app.transcript.query(ToolCard))
        assert cards[0] is first and len(cards) == 2 and cards[1].state != "asking", "one question at a time"
        await pilot.press("y")
        second = await asked(pilot, first)
        assert second is cards[1] and json.loads(second.arguments) == {"expression": "2+2"}
        await pilot.press("n")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert [card.state for card in cards] == ["ok", "denied"]
        assert app.chat.tools.approver.asked == [first.call_id, second.call_id]
        assert [r.status for r in app.state.conversation.messages[-1].rounds[0].results] == ["ok", "denied"]


def footer_label(app, key: str) -> str | None:
    """The footer's words for `key` now (Textual's active bindings, as the Footer reads them)."""
    active = app.screen.active_bindings.get(key)
    return active.binding.description if active is not None else None


async def test_always_allows_the_tool_without_asking_again_and_a_again_saves_it(isolated, demo_url):
    app = app_with_server(isolated, "clock", url=demo_url)  # the demo server's tools under the user's own name
    async with asked_after('calculate(expression="1+1") then calculate(expression="2+2")', app) as (pilot, first):
        assert first.head == "⚙ clock · calculate"
        assert footer_label(app, "a") == "Always allow"
        await pilot.press("a")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        cards = list(app.transcript.query(ToolCard))
        assert [card.state for card in cards] == ["ok", "ok"]
        assert app.chat.tools.approver.asked == [first.call_id], "the second call of the tool is not asked"
        assert "a again: save to config" in first.state_text and app.focused is first
        await wait_for(pilot, lambda: footer_label(app, "a") == "Save always")  # what the next `a` does
        await pilot.press("a")
        await wait_for(pilot, lambda: 'always_allow = ["calculate"]' in (isolated / "config" / "config.toml").read_text())
        assert "a again" not in first.state_text and isinstance(app.focused, PromptInput)
        assert footer_label(app, "a") != "Save always"
        assert load_config().mcp_servers["clock"].always_allow == ("calculate",)
        assert "clock/calculate" in app.chat.tools.choices.always
        await pilot.press("ctrl+k")  # a new conversation starts from the defaults
        await wait_for(pilot, lambda: not app.chat.tools.choices.always)


async def test_always_for_rtchats_demo_server_offers_no_save():
    async with asked_after('calculate(expression="1+1")') as (pilot, card):
        await pilot.press("a")
        await wait_for(pilot, lambda: idle(pilot.app), timeout=START)
        assert card.state == "ok" and not card.save_offered and "a again" not in card.state_text
        assert isinstance(pilot.app.focused, PromptInput)


async def test_typing_y_in_the_prompt_does_not_approve(demo_app):
    async with asked_after('calculate(expression="6*7")', demo_app) as (pilot, card):
        app = pilot.app
        await focus(pilot, app.prompt)
        await pilot.press("y", "a", "n")
        await pilot.pause()
        assert app.prompt.text == "yan"
        assert card.state == "asking" and app.chat.tools.approver.asking
        await focus(pilot, card)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert card.state == "ok"


async def test_a_card_asking_while_the_user_types_leaves_the_keys_in_the_input():
    app = make_app(model="loopback/tools")  # rtchat's demo server: its start is the time the user types in
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, 'calculate(expression="6*7")')
        app.prompt.load_text("my next question, yes")  # written while the server starts
        await wait_for(pilot, lambda: asking_card(app) is not None, timeout=START)
        card = asking_card(app)
        await pilot.press("y")
        assert app.focused is app.prompt and app.prompt.text in ("ymy next question, yes", "my next question, yesy")
        assert card.state == "asking"
        await wait_for(pilot, lambda: "allow calculate? Esc, then y a n" in app.status.text)  # the status line's next tick
        await pilot.press("escape")  # the asking card takes the keys
        await wait_for(pilot, lambda: app.focused is card)
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert card.state == "ok" and "my next question, yes" in app.prompt.text, "the draft is kept"


async def test_ctrl_c_while_asked_cancels_the_call_and_keeps_the_answer(demo_app):
    async with asked_after('calculate(expression="6*7")', demo_app) as (pilot, card):
        app = pilot.app
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))
        assert card.state == "cancelled" and "cancelled" in str(card._state.render())
        answer = app.transcript.query_one(AssistantMessage)
        assert answer.reason == "interrupted"
        assert not app.chat.tools.approver.asking
        await pilot.press("y")  # nothing asks any more: a late key approves nothing
        assert card.state == "cancelled"


async def test_ctrl_c_during_a_call_cancels_it_and_keeps_the_answer(isolated):
    from tests.support.mcp_servers import SCRIPT  # the SDK's server with a `wait` tool that returns only when cancelled

    async with asked_after("wait()", app_with_server(isolated, "slow", str(SCRIPT), "normal")) as (pilot, card):
        app = pilot.app
        await pilot.press("y")
        await wait_for(pilot, lambda: card.state == "running" and "calling wait · " in app.status.text)
        assert card.state_text.startswith("running · ")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: idle(app))
        assert card.state == "cancelled" and "cancelled" in str(card._state.render())
        answer = app.transcript.query_one(AssistantMessage)
        assert answer.reason == "interrupted" and "interrupted" in str(answer.status.render())
        assert app.status.facts.calling is None and "calling" not in app.status.text
        assert isinstance(app.focused, PromptInput)


async def test_a_call_past_its_deadline_shows_timed_out(isolated):
    from tests.support.mcp_servers import SCRIPT

    app = app_with_server(isolated, "slow", str(SCRIPT), "normal", settings="call_timeout = 0.5\n")
    async with asked_after("wait()", app) as (pilot, card):
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(app), timeout=START)
        assert card.state == "timeout" and card.state_text.startswith("timed out after ")
        assert card.has_class("-timeout")
        assert app.state.conversation.messages[-1].rounds[0].results[0].status == "timeout"


async def test_tools_screen_lists_servers_and_switches_a_tool_off_for_the_conversation():
    from textual.widgets import Switch

    from rtchat.ui.screens.tools import ToolsScreen

    app = make_app(model="loopback/tools")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "/tools")
        await wait_for(pilot, lambda: isinstance(app.screen, ToolsScreen) and isinstance(app.focused, Switch), timeout=START)  # listed
        screen = app.screen
        rows = {" ".join(str(static.render()) for static in row.query("Static")): row.query_one(Switch) for row in screen.query(".row")}
        server = next(label for label in rows if label.startswith("demo (stdio) · ready"))
        assert "2 tools" in server and rows[server].value
        calculate = next(label for label in rows if label.startswith("calculate — "))
        await focus(pilot, rows[calculate])
        await pilot.press("space")
        await wait_for(pilot, lambda: app.chat.tools.choices.disabled_tools == {"calculate"})
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ToolsScreen))
        await send(pilot, 'calculate(expression="6*7")')  # not offered now: the model calls the tool it has
        card = await asked(pilot)
        assert card.head == "⚙ demo · time_now"
        await pilot.press("n")
        await wait_for(pilot, lambda: idle(app))


async def test_tool_text_is_shown_inert():
    from rtchat.conversation import ToolCall, ToolResult

    hostile = "[bold red]x[/bold red] \x1b]52;c;ZXZpbA==\x07 \x1b[31m"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        card = ToolCard.finished(ToolCall("c1", "echo", json.dumps({"text": hostile})), ToolResult("c1", "echo", hostile, server="x[/]"))
        await app.transcript.add(card)
        card._result.collapsed = False
        await pilot.pause()
        shown = "\n".join(str(widget.render()) for widget in card.query("Static"))
        assert "[bold red]x[/bold red]" in shown and "x[/]" in shown, "markup stays literal"
        assert "\x1b" not in shown and "\x07" not in shown, "no terminal control reaches the screen"


async def test_a_card_grows_with_the_streamed_arguments_then_shows_them_pretty():
    from rtchat.events import ToolCallDelta, ToolCallRequest

    async with streaming_answer() as (pilot, view):
        app = pilot.app
        view.append_text("Let me work it out.")
        card = await view.tool_delta(ToolCallDelta(0, "c1", "calculate", ""))
        await view.tool_delta(ToolCallDelta(0, None, None, '{"expression": "6'))
        await pilot.pause()
        assert (card.state, str(card._arguments.render())) == ("streaming", '{"expression": "6')
        assert "receiving" in str(card._state.render())
        await view.tool_delta(ToolCallDelta(0, None, None, '*7"}'))
        await view.tool_requested(ToolCallRequest("c1", "calculate", "demo", '{"expression": "6*7"}'))
        assert str(card._arguments.render()) == '{\n  "expression": "6*7"\n}'
        view.append_text("It is 42.")  # text after the call: a new segment below the card
        await pilot.pause()
        assert list(view.children).index(card) < list(view.children).index(view.body)
        assert view.text == "Let me work it out.\n\nIt is 42."


async def test_the_question_shows_the_whole_call_even_before_the_screen_drew_every_fragment():
    import asyncio

    from rtchat.conversation import ToolCall
    from rtchat.events import ToolCallDelta
    from rtchat.tools.approval import Decision, ToolRequest

    async with streaming_answer() as (pilot, view):
        app = pilot.app
        approver = app.chat.tools.approver
        approver.card_shown(await view.tool_delta(ToolCallDelta(0, "c1", "calculate", '{"expression": "6')))
        call = ToolCall("c1", "calculate", '{"expression": "6*7"}')
        decision = asyncio.ensure_future(approver.decide(ToolRequest(call, "demo", "calculate")))
        await wait_for(pilot, lambda: approver.asking)
        card = view.cards["c1"]
        await view.tool_delta(ToolCallDelta(0, None, None, '*7"}'))  # drawn late: adds nothing now
        assert json.loads(card.arguments) == {"expression": "6*7"} and card.state == "asking"
        await pilot.press("n")
        assert await decision is Decision.DENY and card.state == "denied"


async def test_a_failing_tool_shows_its_error(demo_app):
    async with asked_after('calculate(expression="2**")', demo_app) as (pilot, card):
        await pilot.press("y")
        await wait_for(pilot, lambda: idle(pilot.app), timeout=START)
        assert card.state == "error" and card.state_text.startswith("failed after ")
        assert card.has_class("-error") and card._result.display


def test_a_huge_result_shows_its_first_lines_only():
    many = "\n".join(f"line {i}" for i in range(100_000))
    shown = clipped(many)
    assert shown.endswith("… 99,976 more lines") and len(shown) < 1000
    one_line = "x" * 10_000_000
    assert clipped(one_line).endswith("more characters") and len(clipped(one_line)) < 5000
    assert pretty_arguments('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_arguments('{"a": ') == '{"a": '  # not JSON: exactly as sent

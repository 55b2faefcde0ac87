"""The first ten minutes: a status line that fits by priority, the picker's typed ids, what is
remembered between runs, alt+enter, and the welcome that gives way to the first message."""

from __future__ import annotations

import pytest

from rtchat.config import load_config, save_setting
from rtchat.events import Cost, Usage
from rtchat.ui.widgets.status.status_facts import StatusFacts, context_meter, format_status
from tests.support.ui import idle, make_app, ready, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


def streaming_facts() -> StatusFacts:
    return StatusFacts(
        model="openrouter/anthropic/claude-sonnet-4-5", protocol="websocket", socket="open", state="streaming", effort="medium",
        connect_ms=8, ttft_ms=412, tokens_per_s=87, usage=Usage(1800, 240, cached_tokens=1669),
        cost=Cost(0.0021, "table", saved_usd=0.0004), total_usd=0.0150, context_tokens=90_000, context_window=128_000,
    )


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_status_fits_and_keeps_tokens_per_second_while_streaming(width):
    line = format_status(streaming_facts(), width)
    assert len(line) <= width
    assert "87 tok/s" in line and "streaming" in line


def test_status_at_full_width_says_everything():
    line = format_status(streaming_facts())
    assert "WebSocket (open)" in line and "cached 1,669 of 1,800 · saved $0.0004" in line
    assert "$0.0021 · total $0.0150" in line and "context 70% of 128k" in line


def test_context_meter_only_past_half():
    assert context_meter(60_000, 128_000) == ""
    assert context_meter(None, 128_000) == "" and context_meter(90_000, None) == ""
    assert context_meter(100_000, 128_000) == "context 78% of 128k"


async def test_welcome_gives_way_and_comes_back_with_a_new_conversation():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.transcript.query("#welcome") and app.transcript.empty
        await pilot.press(*"hi", "enter")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        assert not app.transcript.query("#welcome")
        assert app.status.facts.usage is not None
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: app.transcript.empty and app.transcript.query("#welcome"))
        assert app.status.facts.usage is None and app.status.facts.state == "idle"  # nothing stale


async def test_alt_enter_adds_a_line_and_enter_sends():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+j", "b", "alt+enter", "c")
        assert app.prompt.text == "a\nb\nc"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.state.conversation.messages) == 2 and idle(app))
        assert app.state.conversation.messages[0].text == "a\nb\nc"


def test_the_terminal_sequence_for_alt_enter_is_alt_enter():
    from textual._xterm_parser import XTermParser

    from rtchat.ui import alt_enter

    alt_enter.install()
    parser = XTermParser()
    keys = [getattr(e, "key", None) for e in [*parser.feed("\n\x1b\r\r"), *parser.feed("")]]
    assert keys == ["ctrl+j", "alt+enter", "enter"]


async def test_typed_variant_is_chosen_and_remembered():
    app = make_app(model=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o")
        picker = app.screen
        assert picker.shown[picker.query_one("OptionList").highlighted].ref == app.state.ref  # current model preselected
        await pilot.press(*"loopback/lorem@1000")
        assert picker.shown[0].typed and picker.shown[0].ref == "loopback/lorem@1000"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.state.ref == "loopback/lorem@1000")
    assert load_config().remembered.last_model == "loopback/lorem@1000"
    again = make_app(model=None)
    async with again.run_test() as pilot:
        await ready(pilot)
        assert again.state.ref == "loopback/lorem@1000"


async def test_fault_filter_lists_fault_models_not_refusal():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o", *"fault")
        refs = [c.ref for c in app.screen.shown]
        assert "loopback/fault-stall" in refs and "loopback/refusal" not in refs


async def test_reopen_last_conversation_when_asked():
    first = make_app()
    async with first.run_test() as pilot:
        await ready(pilot)
        await pilot.press(*"remember me", "enter")
        await wait_for(pilot, lambda: len(first.state.conversation.messages) == 2 and idle(first))
    save_setting(load_config().path, "app.reopen_last", True)
    second = make_app()
    async with second.run_test() as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: len(second.state.conversation.messages) == 2)
        assert second.state.conversation.messages[0].text == "remember me"


async def test_a_first_turn_without_an_answer_is_not_stored():
    app = make_app(model="loopback/fault-401")
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press(*"hi", "enter")
        await wait_for(pilot, lambda: idle(app) and app.status.facts.state == "error")
        await wait_for(pilot, lambda: app.history.conversation_id is None)
        assert app.history.store.list_conversations() == []

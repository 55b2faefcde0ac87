"""Snapshot tests of the main screens with deterministic content (no live streaming)."""

from __future__ import annotations

import pytest

from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock
from tests.support.snap import steady_cursors
from tests.support.ui import make_app, ready

SIZE = (100, 30)


pytestmark = pytest.mark.usefixtures("isolated")


def history() -> Conversation:
    conversation = Conversation()
    conversation.messages.append(ChatMessage("user", "Show **markdown** and [bold]markup[/bold]"))
    conversation.messages.append(
        ChatMessage(
            "assistant",
            "## Heading\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n\n[bold]stays literal[/bold] and [a link](https://example.com)\n",
            [ThinkingBlock("First I consider the question.")],
        )
    )
    return conversation


async def settle(pilot) -> None:
    await ready(pilot)
    steady_cursors(pilot.app)
    await pilot.pause()  # a yield: what ready() set off is laid out


def test_transcript_with_history(snap_compare):
    assert snap_compare(make_app(history=history()), terminal_size=SIZE, run_before=settle)


def test_help_screen(snap_compare):
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()  # a yield: the help screen is laid out

    assert snap_compare(make_app(), terminal_size=(100, 44), run_before=open_help)


def test_model_picker_light_theme(snap_compare):
    async def open_picker(pilot):
        await settle(pilot)
        await pilot.press("ctrl+o", *"loop")
        await pilot.pause()  # a yield: the filtered list is laid out

    assert snap_compare(make_app(theme="light"), terminal_size=SIZE, run_before=open_picker)

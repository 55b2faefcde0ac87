"""Shared helpers for the UI tests: the app under test and waiting for it to settle."""

from __future__ import annotations

import time


def make_app(**kwargs):
    from rtchat.config import load_config
    from rtchat.ui.app import RtChatApp

    kwargs.setdefault("model", "loopback/echo")
    return RtChatApp(load_config(), **kwargs)


def loopback_app(monkeypatch, model: str, **kwargs):
    """The app with Anthropic, Gemini and an OpenAI Responses provider served by its own loopback
    (an empty base URL means the built-in loopback; the keys are dummies it accepts)."""
    from dataclasses import replace

    from rtchat.config import load_config
    from rtchat.ui.app import RtChatApp

    for name in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "k")
    config = load_config()
    providers = config.catalog.providers
    providers["anthropic"] = replace(providers["anthropic"], base_url="")
    providers["gemini"] = replace(providers["gemini"], base_url="")
    providers["responses"] = replace(providers["openai"], id="responses", wire="openai_responses", base_url="")
    return RtChatApp(config, model=model, **kwargs)


def answers(app) -> list[str]:
    """The text of every assistant message in the app's conversation."""
    return [m.text for m in app.state.conversation.messages if m.role == "assistant"]


def chips(widget) -> list[str]:
    """What each attachment chip under `widget` shows."""
    from rtchat.ui.widgets.input.chips import Chip

    return [str(chip.render()) for chip in widget.query(Chip)]


async def wait_for(pilot, condition, timeout: float = 15.0, step: float = 0.02) -> None:
    """Poll until `condition()` is true (the loopback streams in real time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(step)


async def focus(pilot, widget) -> None:
    """Focus `widget` and wait until it has the focus: `focus()` takes effect a message later, and
    a key pressed before that goes to the widget focused before (seen on a loaded machine)."""
    widget.focus()
    await wait_for(pilot, lambda: pilot.app.focused is widget)


async def ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.state.target is not None and pilot.app.state.ready.is_set())


async def send(pilot, text: str) -> None:
    """`text` in the input and Enter. A message's Enter waits for the input to take the line:
    Pilot.press waits for an idle CPU besides, up to 2 s once the answer it starts streams."""
    from rtchat.ui.controllers.slash import is_command

    prompt = pilot.app.prompt
    prompt.load_text(text)
    if is_command(text):
        await pilot.press("enter")
        return
    taken = len(prompt.sent)
    await press_until(pilot, "enter", lambda: len(prompt.sent) > taken)
    for _ in range(50):  # the line bubbles up to the screen, which queues the turn (the app not idle)
        if not idle(pilot.app):
            break
        await pilot.pause(0)  # one round: every widget has handled what it had queued


async def press_until(pilot, key: str, condition, timeout: float = 15.0) -> None:
    """Press `key` as the terminal sends it (one key event) and wait until `condition()`, what the
    key does: Pilot.press waits for an idle CPU after each key, up to 2 s while an answer streams."""
    from textual import events
    from textual.keys import key_to_character

    pilot.app.post_message(events.Key(key, key_to_character(key)))
    await wait_for(pilot, condition, timeout)


async def paste(pilot, text: str) -> None:
    """`text` into the focused widget as one bracketed paste, where the test is about what the
    text does, not about typing it: Pilot types ~70 ms a key, more while the app is busy."""
    from textual import events

    widget = pilot.app.focused
    before = typed(widget)
    pilot.app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: typed(widget) != before)


def typed(widget) -> str:
    """The text in an input widget (a TextArea's text, an Input's value)."""
    return widget.text if hasattr(widget, "text") else widget.value


async def command(pilot, line: str, until=None) -> None:
    """A slash command (or any line) pasted into the input, then Enter; with `until`, Enter waits
    for that (what the command does) rather than for an idle CPU."""
    await paste(pilot, line)
    if until is None:
        await pilot.press("enter")
    else:
        await press_until(pilot, "enter", until)


def idle(app) -> bool:
    return app.turns.idle


def plain(widget) -> str:
    """All text a widget tree shows, as plain text."""
    from textual.widgets import Static

    parts = []
    for child in widget.query(Static):
        visual = child.visual if hasattr(child, "visual") else None
        parts.append(str(getattr(child, "_content", "") or visual or child.render()))
    return "\n".join(parts)


def palette_offers(app, title: str) -> bool:
    """The command palette is open and highlights the command `title`: its search has caught up with the typing."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(app.screen, CommandPalette):
        return False
    commands = app.screen.query_one(CommandList)
    if commands.highlighted is None:
        return False
    return commands.get_option_at_index(commands.highlighted).hit.text == title


def notices(app) -> list[str]:
    """The toasts the app has shown, oldest first (each refusal is one of these lines)."""
    return [str(notification.message) for notification in app._notifications]

"""Drive the app headless against the loopback and save SVG screenshots into screenshots/.

Config and key locations point at a throwaway directory and every provider key
variable is removed first, so no key can appear in a screenshot.

    python scripts/screenshots.py [--out screenshots] [--only voice_mode bench_screen]

Every scene is saved twice: at 120x40 into screenshots/ and at 80x24 into
screenshots/80x24/, the two sizes the layout is tested at.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "OLLAMA_API_KEY")
SIZES = {(120, 40): "", (80, 24): "80x24"}  # terminal size -> sub-folder
SIZE = (120, 40)  # the size of the pass being saved


def isolate(home: str) -> None:
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        os.environ[f"RTCHAT_{name}_DIR"] = f"{home}/{name.lower()}"
    for name in KEY_VARS:
        os.environ.pop(name, None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


async def until(pilot, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("screenshot scene did not settle")
        await pilot.pause(0.05)


def new_app(**kwargs):
    from rtchat.config import load_config
    from rtchat.ui.app import RtChatApp

    return RtChatApp(load_config(), **kwargs)


async def ready(pilot) -> None:
    await until(pilot, lambda: pilot.app.state.target is not None and pilot.app.state.ready.is_set())


async def send(pilot, text: str) -> None:
    pilot.app.prompt.load_text(text)
    await pilot.press("enter")


async def welcome(out: Path) -> None:
    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: app.status.facts.state == "idle")
        app.save_screenshot(str(out / "welcome.svg"))


async def streaming_with_thinking(out: Path) -> None:
    app = new_app(model="loopback/lorem@rate=150")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+r", "ctrl+r", "ctrl+r")  # effort medium
        await send(pilot, "Write a long markdown document")
        await until(pilot, lambda: app.turns.runner is not None and app.turns.runner.view.thinking is not None and sum(len(b.text) for b in app.turns.runner.turn.answer().thinking) > 60)
        app.turns.runner.view.thinking.collapsed = False
        await until(pilot, lambda: len(app.turns.runner.turn.answer().text) > 900)
        app.turns.runner.view.thinking.collapsed = False
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "streaming-thinking.svg"))
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.turns.runner is None)
        await pilot.pause(0.1)
        app.save_screenshot(str(out / "interrupted.svg"))


async def model_picker(out: Path) -> None:
    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o", *"gpt")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "model-picker.svg"))
        await pilot.press("enter")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "key-entry.svg"))


async def protocol_selector(out: Path) -> None:
    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "protocol-selector.svg"))


async def error(out: Path) -> None:
    app = new_app(model="loopback/fault-401")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "hello?")
        await until(pilot, lambda: app.turns.idle and len(app.transcript.children) >= 2)
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "error.svg"))


async def themes(out: Path) -> None:
    for theme in ("dark", "light", "high-contrast"):
        app = new_app(model="loopback/echo", theme=theme)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await send(pilot, "Show me **markdown**: a list, a table and `code`.")
            await until(pilot, lambda: app.turns.runner is None and len(app.state.conversation.messages) == 2)
            await pilot.press("f1")
            await pilot.press("escape")
            await pilot.pause(0.2)
            app.save_screenshot(str(out / f"theme-{theme}.svg"))


async def help_screen(out: Path) -> None:
    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "help.svg"))


async def history_screens(out: Path) -> None:
    """A few stored conversations, then the conversation list (filtered) and a search."""
    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for prompt in ("Plan a weekend in Lisbon", "Explain SSE vs WebSocket for streaming tokens", "Draft a haiku about SQLite", "Lisbon: where to eat pastel de nata?"):
            answers = len(app.state.conversation.messages)
            await send(pilot, prompt)
            await until(pilot, lambda: app.turns.runner is None and len(app.state.conversation.messages) == answers + 2)
            await pilot.press("ctrl+k")
            await until(pilot, lambda: app.transcript.empty)
        await pilot.press("ctrl+l")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "conversation-list.svg"))
        await pilot.press(*"lisbon")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "conversation-list-filtered.svg"))
        await pilot.press("escape", "ctrl+f", *"lisbon")
        await until(pilot, lambda: len(getattr(app.screen, "hits", [])) >= 2)
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "search.svg"))
        await pilot.press("enter")
        await until(pilot, lambda: len(app.state.conversation.messages) == 2)
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "conversation-reopened.svg"))


class SpeakingMicrophone:
    """Stands in for a microphone: syllable-like bursts in 20 ms blocks, in real time, for as long as it is open."""

    rate = 48000

    def __init__(self) -> None:
        self._task = None

    def start(self, deliver) -> None:
        import numpy as np

        block = self.rate // 50
        t = np.arange(int(0.18 * self.rate)) / self.rate
        syllable = (0.3 * np.sin(2 * np.pi * 180 * t) * np.hanning(len(t))).astype(np.float32)
        speech = np.concatenate([syllable, np.zeros(self.rate // 20, dtype=np.float32)])

        async def feed() -> None:
            loop = asyncio.get_running_loop()
            began, index = loop.time(), 0
            while True:
                offset = (index * block) % (len(speech) - block)
                deliver(speech[offset : offset + block])
                index += 1
                await asyncio.sleep(max(0.0, began + index * 0.02 - loop.time()))

        self._task = asyncio.get_running_loop().create_task(feed())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def voice_mode(out: Path) -> None:
    """Spoken exchanges over WebRTC: an answer speaking, listening with the level meter moving, then hands-free."""
    from rtchat.ui.controllers.voice_devices import silent_devices

    microphone = SpeakingMicrophone()
    app = new_app(model="loopback/echo", protocol="webrtc", voice_devices=silent_devices(lambda: microphone))
    state = lambda: app.voice.current.state.value if app.voice.current is not None else None  # noqa: E731
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.simulate_key("f3")
        await until(pilot, lambda: state() == "listening")
        await asyncio.sleep(1.2)
        app.simulate_key("f3")
        await until(pilot, lambda: state() == "idle" and app.turns.runner is None and len(app.state.conversation.messages) == 2)
        app.simulate_key("f3")  # a second exchange, caught while the answer speaks
        await until(pilot, lambda: state() == "listening")
        await asyncio.sleep(1.2)
        app.simulate_key("f3")
        await until(pilot, lambda: state() == "speaking")
        await asyncio.sleep(0.3)
        app.save_screenshot(str(out / "voice-speaking.svg"))
        await until(pilot, lambda: state() == "idle" and app.turns.runner is None and len(app.state.conversation.messages) == 4)
        app.simulate_key("f3")
        await until(pilot, lambda: state() == "listening")
        await until(pilot, lambda: (app.status.facts.level_dbfs or -100) > -30)
        await asyncio.sleep(0.25)
        app.save_screenshot(str(out / "voice-listening.svg"))
        app.simulate_key("ctrl+c")
        await until(pilot, lambda: state() == "idle")
        app.simulate_key("f7")  # hands-free: the server hears the (endless) speech begin
        await until(pilot, lambda: app.status.facts.voice == "hands-free listening" and (app.status.facts.level_dbfs or -100) > -30)
        await asyncio.sleep(0.25)
        app.save_screenshot(str(out / "voice-hands-free.svg"))


async def bench_screen(out: Path) -> None:
    from rtchat.ui.screens.bench_screen import BenchScreen

    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p", *"Benchmark protocols")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BenchScreen))
        await until(pilot, lambda: app.screen.result is not None, timeout=120)
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "bench.svg"))


async def race_scene(out: Path) -> None:
    """The same prompt raced twice over SSE, WebSocket and WebRTC: the second race shows the cache hit."""
    from rtchat.ui.screens.race import RaceScreen

    for size, name in (((120, 40), "race.svg"), ((80, 24), "race-stacked.svg")):
        app = new_app(model="loopback/echo@rate=80")
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            for _ in range(2):
                app.prompt.load_text("Which protocol answers first: SSE, WebSocket or WebRTC?")
                await pilot.press("ctrl+p", *"Race this prompt")
                await pilot.pause(0.3)
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, RaceScreen))
                await until(pilot, lambda: app.screen.finished, timeout=60)
                await pilot.pause(0.2)
                if _ == 0:
                    await pilot.press("escape")
                    await until(pilot, lambda: not isinstance(app.screen, RaceScreen))
            app.save_screenshot(str(out / name))


async def input_features(out: Path) -> None:
    """What the input gained: the slash popup, the system-prompt screen, attachment chips, a branch switcher."""
    from textual.widgets import TextArea

    home = Path(os.environ["RTCHAT_CONFIG_DIR"]).parent
    notes = home / "notes.txt"
    notes.write_text("the pelican is in the notes file\n")
    app = new_app(model="loopback/echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("/", "e")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "slash-commands.svg"))
        await pilot.press("escape", "ctrl+c", "f6")
        await until(pilot, lambda: app.screen.query(TextArea))
        app.screen.query_one(TextArea).cursor_blink = False
        await pilot.press(*"You are a careful reviewer. Point at the line, say why, stop.")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "system-prompt.svg"))
        await pilot.press("ctrl+s")
        await pilot.press(*f"/attach {notes}", "enter")
        await until(pilot, lambda: len(app.composer.pending.children) == 1)
        await pilot.press(*"Summarise the notes", "enter")
        await until(pilot, lambda: app.turns.idle and len(app.state.conversation.messages) == 2)
        app.action_regenerate()
        await until(pilot, lambda: app.turns.idle and any(view.switcher is not None for view in app.transcript.query("AssistantMessage")))
        app.clear_notifications()
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "branches.svg"))


async def tool_call(out: Path) -> None:
    """Two tool calls of the demo MCP server: the first allowed (its result unfolded), the second asking."""
    from rtchat.ui.widgets.transcript.tool_card import ToolCard

    def asking(previous=None):
        return next((card for card in app.transcript.query(ToolCard) if card.state == "asking" and card is not previous and app.focused is card), None)

    app = new_app(model="loopback/tools")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, 'What is 1234*5678, and the time in Paris? calculate(expression="1234*5678") then time_now(zone="Europe/Paris")')
        await until(pilot, lambda: asking() is not None, timeout=60)
        first = asking()
        await pilot.press("y")
        await until(pilot, lambda: asking(first) is not None, timeout=60)
        first._result.collapsed = False
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "tool-call.svg"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--only", nargs="*", help="scene names (e.g. voice_mode bench_screen); default all")
    args = parser.parse_args()
    global SIZE
    for size, folder in SIZES.items():
        SIZE = size
        out = Path(args.out) / folder
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as home:
            isolate(home)
            for scene in (welcome, streaming_with_thinking, model_picker, protocol_selector, error, themes, help_screen, history_screens, input_features, tool_call, voice_mode, bench_screen, race_scene):
                if args.only and scene.__name__ not in args.only:
                    continue
                await scene(out)
                print(f"saved {scene.__name__} at {size[0]}x{size[1]}")


if __name__ == "__main__":
    asyncio.run(main())

"""The rtchat terminal app: the session and config, the chat screen, and what is app-wide.

The chat itself (its widgets, controllers, keys and messages) is `ChatScreen`
(rtchat/ui/screens/chat.py). The app builds the session, installs that screen,
and keeps what works over every screen: ctrl+c, quitting, themes, the clipboard,
and the choices that dialogs (which post to the app) hand back to the chat.
"""

from __future__ import annotations

import gc
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from operator import attrgetter

from textual import events, on
from textual.actions import ActionParseResult
from textual.app import App, SuspendNotSupported
from textual.dom import DOMNode

from rtchat.audio.native_stderr import NativeStderr
from rtchat.config import Config
from rtchat.conversation import Conversation
from rtchat.debuglog import WireLog
from rtchat.sanitize import clipboard_safe
from rtchat.session import Session
from rtchat.ui.bindings import APP_BINDINGS
from rtchat.ui.commands import RtChatCommands
from rtchat.ui.controllers.editor import NoTerminal, Run
from rtchat.ui.controllers.voice_devices import VoiceDevices
from rtchat.ui.keymap import read_keymap
from rtchat.ui.screens.chat import ChatScreen
from rtchat.ui.screens.conversation_list import ConversationList
from rtchat.ui.screens.model_picker import ModelPicker
from rtchat.ui.screens.protocol_picker import ProtocolPicker
from rtchat.ui.screens.search import SearchScreen
from rtchat.ui.screens.theme_picker import ThemePicker
from rtchat.ui.themes import DEFAULT_THEME, load_themes, theme_dirs
from rtchat.ui.web_keys import is_web_driver, kept_by_browser, web_keymap


CHAT_ACTIONS = frozenset(name.removeprefix("action_") for name in vars(ChatScreen) if name.startswith("action_"))


CHAT_ATTRIBUTES = (
    "session", "state", "settings", "transcript", "jump_hint", "prompt", "status", "composer", "history",
    "models", "turns", "branches", "races", "pending", "system_prompt", "voice", "input", "thinking_open",
    "requested_model", "requested_protocol", "store_history", "bench_runs",
    "switch_model", "choose_model", "choose_protocol", "open_conversation",
    "action_regenerate", "action_edit_prompt", "action_previous_branch", "action_next_branch", "action_run_bench",
)  # what tests and callers reach as `app.X`: each is the chat screen's


def _chat_attribute(name: str) -> property:
    """An attribute of the chat screen, read through the app (tests and callers reach `app.prompt` etc.)."""
    read = attrgetter(name)
    return property(lambda app: read(app.chat), doc=f"The chat screen's `{name}`.")


class RtChatApp(App[int]):
    """One conversation with one model at a time; the model can change between turns."""

    TITLE = "rtchat"
    BINDINGS = APP_BINDINGS  # on the app, as before: they work over dialogs and the race view too
    COMMANDS = {RtChatCommands}  # rtchat's own commands only: Textual's Keys/Maximize/Screenshot are not ours
    ENABLE_COMMAND_PALETTE = True
    editor_runner: Run | None = None  # None: the editor gets the terminal (tests run it without one)

    def __init__(
        self,
        config: Config,
        model: str | None = None,
        protocol: str | None = None,
        theme: str | None = None,
        session: Session | None = None,
        history: Conversation | None = None,
        store_history: bool = True,
        voice_devices: VoiceDevices | None = None,
        bench_runs: int = 3,
        web: bool | None = None,
    ) -> None:
        """`voice_devices` replaces the microphone and speaker (tests inject an array source); `web`
        forces browser-tab mode on or off (None: on under Textual's web driver, as `rtchat web` runs it)."""
        super().__init__()
        self.web = is_web_driver(self.driver_class) if web is None else web
        if is_web_driver(self.driver_class):
            from rtchat.ui.web_driver import ServedWebDriver  # deferred: the web driver's modules load in a browser tab only

            self.driver_class = ServedWebDriver  # the app also ends when the server's pipe closes
        keymap = read_keymap(config)
        keys = web_keymap(keymap.keys) if self.web else keymap.keys  # browser-safe keys under the user's own
        if self.web:
            keymap.warnings += kept_by_browser(keymap.keys)
        if keys != config.keys:  # an entry ignored, an old id renamed, or a browser's key moved: every screen sees what applies
            config = replace(config, keys=keys)
        self.keymap_warnings = keymap.warnings
        self.early_keys: list[events.Key] | None = []  # typed before the input has the focus: kept for it
        self.native_stderr: NativeStderr | None = None  # run_app's guard of descriptor 2 (none under Pilot)
        self.config = config
        self.requested_theme = theme
        self.theme_problems: list[str] = []
        self.theme_names: list[str] = []  # rtchat's themes and the user's own, for F5
        self.chat = ChatScreen(
            config, session or Session(config), model, protocol, history, store_history, voice_devices, bench_runs,
            run_editor=lambda command: (self.editor_runner or partial(run_in_terminal, self))(command),
        )

    async def run_action(
        self, action: str | ActionParseResult, default_namespace: DOMNode | None = None, namespaces: Mapping[str, DOMNode] | None = None
    ) -> bool:
        """Keys, the palette and slash commands name the chat's actions without a namespace, as
        app actions (so they work over any screen, as before): those run on the chat screen."""
        if default_namespace in (None, self) and isinstance(action, str) and action.split("(", 1)[0].strip() in CHAT_ACTIONS:
            default_namespace = self.chat
        return await super().run_action(action, default_namespace, namespaces)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A chat action is enabled as the chat screen says (the footer asks the app)."""
        return self.chat.check_action(action, parameters) if action in CHAT_ACTIONS else True

    @property
    def is_web(self) -> bool:
        """In a browser tab: under the web driver, or forced with `web=True` (tests, which run headless)."""
        return self.web or super().is_web

    async def on_event(self, event: events.Event) -> None:
        """Keys that come before the chat's input has the focus wait for it: a browser tab (and a
        quick typist) sends keys while the app still starts, and Textual dropped them on the
        empty screen. `input_ready` hands them on, in order, ahead of any later key."""
        if self.early_keys is not None and isinstance(event, events.Key) and not event.is_forwarded:
            self.early_keys.append(event)
            return
        await super().on_event(event)

    async def input_ready(self) -> None:
        """The chat's input has the focus: the keys typed before now reach it."""
        keys, self.early_keys = self.early_keys or [], None
        for key in keys:
            await super().on_event(key)

    def get_default_screen(self) -> ChatScreen:
        return self.chat

    async def on_mount(self) -> None:
        tune_gc()
        self._apply_themes()
        if self.config.keys:
            self.set_keymap(self.config.keys)
        for warning in self.keymap_warnings:  # said on stderr too, but the app's screen covers that at once
            self.notify(warning, severity="warning", timeout=10, markup=False)

    async def on_unmount(self) -> None:
        await self.chat.close()
        await self.chat.session.aclose()

    def action_interrupt(self) -> None:
        """ctrl+c: stop the answer at once (keeping it); when idle, clear the input. Never quits."""
        from rtchat.ui.screens.race import RaceScreen  # deferred: a screen loads when first opened, off the app's first frame

        if isinstance(self.screen, RaceScreen):  # the race view: ctrl+c stops every racer
            self.screen.stop_all()
            if len(self.screen_stack) == 1:
                self.chat.prompt.focus()
        else:
            self.chat.interrupt(alone=len(self.screen_stack) == 1)

    async def action_quit(self) -> None:
        self.chat.turns.cancel()
        self.exit(0)

    def copy_to_clipboard(self, text: str) -> None:
        """Everything rtchat copies is made inert first: a pasted answer cannot end bracketed
        paste (ESC[201~) and run what follows, nor reorder itself with bidi controls."""
        super().copy_to_clipboard(clipboard_safe(text))

    # --- what dialogs choose (they post to the app) goes to the chat ------------------------

    @on(ModelPicker.Chosen)
    def _model_chosen(self, event: ModelPicker.Chosen) -> None:
        self.chat.choose_model(event.choice)

    @on(ProtocolPicker.Chosen)
    def _protocol_chosen(self, event: ProtocolPicker.Chosen) -> None:
        self.chat.choose_protocol(event.protocol)

    @on(ConversationList.Resume)
    def _resume(self, event: ConversationList.Resume) -> None:
        self.chat.open_conversation(event.conversation_id)

    @on(SearchScreen.Resume)
    def _resume_at_hit(self, event: SearchScreen.Resume) -> None:
        self.chat.open_conversation(event.conversation_id, branch_of=event.branch_of)  # on the hit's branch

    @on(ConversationList.Deleted)
    def _deleted(self, event: ConversationList.Deleted) -> None:
        self.chat.forget_deleted(event.conversation_id)

    # --- themes ---------------------------------------------------------------------------

    def _apply_themes(self) -> None:
        catalog = load_themes(theme_dirs(self.config.path))
        for theme in catalog.themes.values():
            self.register_theme(theme)
        self.theme_problems = catalog.problems
        self.theme_names = sorted(catalog.themes)
        for problem in catalog.problems:
            self.notify(f"theme skipped: {problem}", severity="error", timeout=10, markup=False)
        wanted = self.requested_theme or self.config.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.notify(f"unknown theme {wanted!r}; using {DEFAULT_THEME}", severity="warning", markup=False)
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted

    def action_pick_theme(self) -> None:
        names = self.theme_names if self.theme in self.theme_names else sorted({*self.theme_names, self.theme})
        self.push_screen(ThemePicker(names, self.theme))

    @on(ThemePicker.Chosen)
    def _theme_chosen(self, event: ThemePicker.Chosen) -> None:
        self.theme = event.theme
        self.chat.settings.save("theme", event.theme)
        self.notify(f"theme {event.theme}, saved", markup=False, timeout=2)


for _name in CHAT_ATTRIBUTES:
    setattr(RtChatApp, _name, _chat_attribute(_name))  # one forwarding property each
del _name


def run_in_terminal(app: App, command: list[str]) -> int:
    """Hand the terminal to `command` (the app suspends) and wait for it."""
    try:
        with app.suspend():
            return subprocess.call(command)
    except SuspendNotSupported as exc:
        raise NoTerminal(str(exc)) from exc


def tune_gc() -> None:
    """Fewer, cheaper collections: streaming makes many short-lived strips, and a full
    collection over the start-up objects shows up as a visible stall in the stream."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def run_app(config: Config, model: str | None = None, protocol: str | None = None, theme: str | None = None, debug: bool = False) -> int:
    """Entry point of `rtchat` with no subcommand; returns the exit code."""
    session = Session(config)
    if debug:
        session.wire_log = WireLog.create()
    app = RtChatApp(config, model=model, protocol=protocol, theme=theme, session=session)
    with NativeStderr(session.wire_log.write if session.wire_log is not None else None) as native:
        app.native_stderr = native  # ALSA's lines off the screen; the voice status counts its underruns
        result = app.run()
    if session.wire_log is not None:
        print(f"rtchat: the redacted wire log of this session is in {session.wire_log.path}")
    return app.return_code if app.return_code is not None else (result or 0)

"""The rtchat terminal app: transcript, input, status line, and the actions behind every key."""

from __future__ import annotations

import asyncio
import gc

from textual import on, work
from textual.app import App, ComposeResult
from textual.widgets import Footer, Static

from rtchat.catalog import UnknownProvider, parse_model_ref
from rtchat.config import Config, default_model_ref, save_setting
from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Error, Notice
from rtchat.secrets import has_key
from rtchat.session import Session
from rtchat.target import Target
from rtchat.turns.base import Turn
from rtchat.ui.bench_actions import BenchActions
from rtchat.ui.bindings import APP_BINDINGS, effective_key
from rtchat.ui.choices import initial_protocol, next_effort, next_protocol, not_implemented_message, protocol_options
from rtchat.ui.commands import RtChatCommands
from rtchat.ui.conversations import ConversationActions
from rtchat.ui.widgets.transcript.history_views import message_factory
from rtchat.ui.themes import DEFAULT_THEME, load_themes, theme_dirs
from rtchat.ui.turn_runner import Observer, TurnRunner
from rtchat.ui.voice_actions import VoiceActions
from rtchat.ui.voice_devices import VoiceDevices, system_devices
from rtchat.ui.voice_mode import VoiceChanged, VoiceMode
from rtchat.ui.widgets.transcript.messages import AssistantMessage, ErrorMessage, MessageView, NoticeMessage, UserMessage
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.transcript import Transcript

STATUS_SECONDS = 0.1  # how often live turn figures refresh


class RtChatApp(ConversationActions, VoiceActions, BenchActions, App[int]):
    """One conversation with one model at a time; the model can change between turns."""

    TITLE = "rtchat"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {RtChatCommands}
    ENABLE_COMMAND_PALETTE = True
    CSS = """
    Screen { layout: vertical; }
    #jump-hint { dock: bottom; height: 1; width: 100%; background: $warning 30%; color: $text; text-align: center; display: none; }
    #jump-hint.visible { display: block; }
    Transcript.hide-thinking ThinkingPanel { display: none; }
    """

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
    ) -> None:
        """`voice_devices` replaces the microphone and speaker (tests inject an array source)."""
        super().__init__()
        self.config = config
        self.session = session or Session(config)
        self.requested_model = model
        self.requested_protocol = protocol
        self.requested_theme = theme
        self.conversation = history or Conversation()
        self.target: Target | None = None
        self.effort: str | None = None
        self.protocol = protocol or "sse"
        self.show_thinking = True
        self.runner: TurnRunner | None = None
        self.observers: list[Observer] = []  # extra consumers of every turn event (the history store first)
        self.store_history = store_history
        self._prompts: asyncio.Queue[str] = asyncio.Queue()
        self._model_ready = asyncio.Event()
        self.theme_problems: list[str] = []
        self._watched_socket = None  # the live connection whose state the status line shows
        from rtchat.voice.settings import voice_settings

        settings = voice_settings(config.raw)
        self.voice_mode = VoiceMode(voice_devices or system_devices(settings), settings)
        self._voice_lock = asyncio.Lock()
        self.bench_runs = bench_runs

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept as attributes: App.query_one searches the *current* screen, which may be a modal.
        self.transcript = Transcript(id="transcript")
        self.jump_hint = Static("↓ more below — ctrl+g jumps to the latest", id="jump-hint")
        self.prompt = PromptInput(id="prompt")
        self.status = StatusLine(id="status")
        yield self.transcript
        yield self.jump_hint
        yield self.prompt
        yield self.status
        yield Footer()

    async def on_mount(self) -> None:
        tune_gc()
        self._apply_themes()
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self.prompt.focus()
        self.open_history(self.store_history)
        if self.conversation.messages:
            await self._show_history(self.conversation)
        self.set_interval(STATUS_SECONDS, self._refresh_live_figures, name="status")
        self._choose_initial_model()
        self._turn_loop()

    async def on_unmount(self) -> None:
        if self.runner is not None:
            self.runner.turn.cancel()
        await self.close_voice()
        self.recorder.close()
        await self.session.aclose()

    # --- themes ---------------------------------------------------------------------------

    def _apply_themes(self) -> None:
        catalog = load_themes(theme_dirs(self.config.path))
        for theme in catalog.themes.values():
            self.register_theme(theme)
        self.theme_problems = catalog.problems
        for problem in catalog.problems:
            self.notify(f"theme skipped: {problem}", severity="error", timeout=10, markup=False)
        wanted = self.requested_theme or self.config.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.notify(f"unknown theme {wanted!r}; using {DEFAULT_THEME}", severity="warning", markup=False)
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted

    def action_pick_theme(self) -> None:
        from rtchat.ui.screens.theme_picker import ThemePicker

        def chosen(name: str | None) -> None:
            if name:
                self.theme = name
                self._save("theme", name)

        self.push_screen(ThemePicker(sorted(self.available_themes), self.theme), chosen)

    def _save(self, key: str, value: str) -> None:
        try:
            save_setting(self.config.path, key, value)
        except OSError as exc:
            self.notify(f"could not save {key} to {self.config.path}: {exc}", severity="warning", markup=False)

    # --- model, effort, protocol ----------------------------------------------------------

    def _choose_initial_model(self) -> None:
        try:
            ref = str(parse_model_ref(self.requested_model)) if self.requested_model else str(default_model_ref(self.config, has_key))
        except ValueError as exc:
            self.call_later(self.show_error, Error("config", f"{exc}; using loopback/echo"))
            ref = "loopback/echo"
        self.switch_model(ref, protocol=self.requested_protocol)

    @work(exclusive=True, group="resolve")
    async def switch_model(self, ref: str, protocol: str | None = None) -> None:
        """Resolve a model (starting the loopback server when needed) and make it current."""
        self._model_ready.clear()
        try:
            target = await self.session.resolve(ref)
        except (UnknownProvider, ValueError, KeyError) as exc:
            await self.show_error(Error("config", f"cannot use {ref}: {exc}"))
            if self.target is None and ref != "loopback/echo":
                target = await self.session.resolve("loopback/echo")
            else:
                self._model_ready.set()
                return
        self.target = target
        # None means "the model's own default" (shown as auto) until the user cycles it.
        self.effort = self.session.effort_for(target, None)[0]
        if target.info.thinking is False:
            self.effort: str | None = None
        self.protocol = initial_protocol(target.ref, target.info, self.config.protocols, protocol)
        self._model_ready.set()
        self._show_choices()
        self.voice_follows_choice()

    def _show_choices(self, state: str | None = None) -> None:
        if self.target is None:
            return
        changes = dict(model=self.target.ref, protocol=self.protocol, effort=self.effort or "auto")
        if state:
            changes["state"] = state
        self.status.show(**changes)

    def action_cycle_effort(self) -> None:
        if self.target is None:
            return
        self.effort = next_effort(self.effort or "auto", self.target.info)
        self._show_choices()
        if self.target.info.thinking is False:
            self.notify(f"{self.target.ref} cannot think: effort stays off", markup=False)

    def set_protocol(self, protocol: str) -> None:
        self.protocol = protocol
        if self.target is not None:
            self.config.protocols[self.target.ref] = protocol
            self._save(f"protocols.{self.target.ref}", protocol)
        self._show_choices()
        self.voice_follows_choice()

    def action_cycle_protocol(self) -> None:
        if self.target is not None:
            self.set_protocol(next_protocol(self.protocol, self.target.info))

    def action_pick_protocol(self) -> None:
        from rtchat.ui.screens.protocol_picker import ProtocolPicker

        if self.target is None:
            return
        self.push_screen(
            ProtocolPicker(self.target.ref, protocol_options(self.target.info), self.protocol),
            lambda choice: self.set_protocol(choice) if choice else None,
        )

    def action_pick_model(self) -> None:
        from rtchat.ui.screens.model_picker import ModelPicker, model_choices

        choices = model_choices(self.config.catalog.providers.values(), has_key)
        current = self.target.ref if self.target else ""
        self.push_screen(ModelPicker(choices, current), self._model_chosen)

    def _model_chosen(self, choice) -> None:
        from rtchat.ui.screens.key_entry import KeyEntry

        if choice is None:
            return
        if choice.key_set:
            self.switch_model(choice.ref)
            return

        def key_stored(stored: bool | None) -> None:
            if stored:
                self.switch_model(choice.ref)

        self.push_screen(KeyEntry(choice.provider), key_stored)

    # --- sending and streaming ------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _queue_prompt(self, event: PromptInput.Submitted) -> None:
        """A new message while an answer streams interrupts it (kept, marked interrupted), then goes out."""
        if self.runner is not None:
            self.runner.turn.cancel()
        await self.transcript.add(UserMessage(event.text))
        self.transcript.jump_to_latest()
        self._prompts.put_nowait(event.text)

    @work(group="turns")
    async def _turn_loop(self) -> None:
        """Turns run one at a time, in order: the next starts once the previous one's Done is in."""
        while True:
            text = await self._prompts.get()
            await self._model_ready.wait()
            await self.wait_for_runner()  # a spoken answer still running stops first
            await self.run_turn(text)

    async def run_turn(self, text: str) -> ChatMessage | None:
        target = self.target
        problem = not_implemented_message(self.protocol, self.talk_key())
        if target is None or problem:
            await self.show_error(Error("protocol", problem or "no model is selected"))
            return None
        self.conversation.add_user(text)
        self.record_prompt(text, target.ref, self.protocol)
        turn = self.start_turn(target)
        view = AssistantMessage(target.ref, streaming=True, effort=turn.effort)
        await self.transcript.add(view)
        self.recorder.begin_answer(target.ref, target.provider.id)
        self.runner = TurnRunner(turn, view, self, self.observers)
        try:
            message = await self.runner.run()
        finally:
            self.runner = None
            self.recorder.end_answer()
        if message is None:
            self.conversation.messages.pop()  # no answer: the next prompt must not follow a dangling one
            if not view.text and view.thinking is None and view.reason == "error":
                await view.remove()
        else:
            self.conversation.messages.append(message)
        return message

    def start_turn(self, target: Target) -> Turn:
        """The turn over the chosen protocol; a socket's state goes to the status line."""
        turn = self.session.turn(target, self.conversation, self.effort, protocol=self.protocol)
        self._watch_socket(turn.connection)
        return turn

    def _watch_socket(self, connection) -> None:
        if connection is None:
            self.status.show(socket=None)
            return
        if connection is not self._watched_socket:
            self._watched_socket = connection

            def changed(state: str) -> None:
                if connection is self._watched_socket:
                    self.status.show(socket=state)

            connection.add_listener(changed)
        self.status.show(socket=connection.state)

    def turn_progress(self, state: str, turn: Turn) -> None:
        if self.status.facts.state != state:
            self.status.show(state=state)
            self._show_figures(turn)

    def _refresh_live_figures(self) -> None:
        self._show_voice()  # the input level meter moves while listening
        runner = self.runner
        if runner is None:
            self._show_jump_hint(False)
            return
        self._show_figures(runner.turn)
        self._show_jump_hint(not self.transcript.following)

    def _show_figures(self, turn: Turn) -> None:
        """The turn's own clock (rtchat.metrics): the same figures the history and the bench keep."""
        runner = self.runner
        if runner is None or runner.turn is not turn:
            return
        clock = turn.clock
        self.status.show(
            connect_ms=clock.connect_ms,
            ttft_ms=clock.ttft_ms,
            tokens_per_s=clock.tokens_per_s,
            usage=clock.usage,
        )

    def _show_jump_hint(self, visible: bool) -> None:
        self.jump_hint.set_class(visible, "visible")

    async def show_error(self, error: Error) -> None:
        await self.transcript.add(ErrorMessage(error.message + _advice(error), error.kind))

    async def show_notice(self, notice: Notice) -> None:
        await self.transcript.add(NoticeMessage(notice.text))

    # --- key actions ----------------------------------------------------------------------

    def action_interrupt(self) -> None:
        """ctrl+c: stop the answer at once (keeping it); when idle, clear the input. Never quits."""
        if self.runner is not None:
            self.runner.turn.cancel()  # a spoken answer stops as a barge-in does
        elif self.interrupt_voice():
            pass
        elif len(self.screen_stack) == 1:
            self.prompt.clear()
        if len(self.screen_stack) == 1:
            self.prompt.focus()

    async def action_quit(self) -> None:
        if self.runner is not None:
            self.runner.turn.cancel()
        self.exit(0)

    def action_help(self) -> None:
        from rtchat.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.config.keys))

    def action_toggle_all_thinking(self) -> None:
        self.show_thinking = not self.show_thinking
        self.transcript.set_class(not self.show_thinking, "hide-thinking")
        self.notify("thinking shown" if self.show_thinking else "thinking hidden")

    def action_jump_to_latest(self) -> None:
        self.transcript.jump_to_latest()
        self._show_jump_hint(False)

    def action_focus_input(self) -> None:
        self.prompt.focus()

    def action_focus_transcript(self) -> None:
        messages = list(self.transcript.query(MessageView))
        if messages:
            messages[-1].focus()
            messages[-1].scroll_visible()

    def action_copy_last_answer(self) -> None:
        answers = list(self.transcript.query(AssistantMessage))
        if answers:
            answers[-1].action_copy_message()

    def talk_key(self) -> str:
        binding = next(b for b in APP_BINDINGS if b.id == "push_to_talk")
        return effective_key(binding, self.config.keys or {})

    @on(VoiceChanged)
    def _voice_changed_shown(self) -> None:
        self._show_voice()

    @on(MessageView.Copied)
    def _copied(self, event: MessageView.Copied) -> None:
        self.notify(f"copied {event.chars} characters to the clipboard")

    # --- history ----------------------------------------------------------------------------

    async def _show_history(self, conversation: Conversation) -> None:
        model = self.requested_model or "assistant"
        await self.transcript.load_history([message_factory(m, model) for m in conversation.messages])


def tune_gc() -> None:
    """Fewer, cheaper collections: streaming makes many short-lived strips, and a full
    collection over the start-up objects shows up as a visible stall in the stream."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _advice(error: Error) -> str:
    """What the user can do next, when the message itself does not say."""
    if error.kind == "auth" and "rtchat keys set" not in error.message:
        return " — set a key with `rtchat keys set PROVIDER` or pick another model with ctrl+o"
    if error.retryable:
        return " — send the prompt again (Up recalls it) or pick another model with ctrl+o"
    return ""


def run_app(config: Config, model: str | None = None, protocol: str | None = None, theme: str | None = None, debug: bool = False) -> int:
    """Entry point of `rtchat` with no subcommand; returns the exit code."""
    session = Session(config)
    if debug:
        from rtchat.debuglog import WireLog

        session.wire_log = WireLog.create()
    app = RtChatApp(config, model=model, protocol=protocol, theme=theme, session=session)
    result = app.run()
    if session.wire_log is not None:
        print(f"rtchat: the redacted wire log of this session is in {session.wire_log.path}")
    return app.return_code if app.return_code is not None else (result or 0)

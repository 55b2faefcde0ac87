"""The chat screen: the transcript, the input and the status line, and the controllers behind them.

The behaviour lives in controllers (rtchat/ui/controllers/), one per domain, each
given what it needs when it is made: `ModelController` (model, effort, protocol),
`TurnController` (the prompt queue and the running turn), `HistoryController`
(the store and switching conversations), `BranchController` (regenerate, edit,
flip), `RaceController` (a race from the input), `VoiceController` (push-to-talk)
and `InputController` (slash commands, the system prompt, attachments, the editor).
The screen's actions and message handlers each call one of their methods. The app
builds the session and config, installs this screen, and holds the key bindings (so
they work over dialogs too); `RtChatApp.run_action` runs this screen's actions here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen

from rtchat.config import Config
from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.loopback.scripts import MODELS as LOOPBACK_MODELS
from rtchat.secrets import has_key
from rtchat.session import Session
from rtchat.store import StoreError
from rtchat.ui.bindings import key_for
from rtchat.ui.choices import protocol_options
from rtchat.ui.controllers.attach import PendingFiles
from rtchat.ui.controllers.bench import bench_offer
from rtchat.ui.controllers.branches import BranchController
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.input import InputController, slash_sources
from rtchat.ui.controllers.model import ModelController
from rtchat.ui.controllers.settings import Settings
from rtchat.ui.controllers.share import ShareController
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.controllers.system_prompt import SystemPrompt
from rtchat.ui.controllers.tools import ToolsController
from rtchat.ui.controllers.turns import TurnController
from rtchat.ui.controllers.voice import VoiceController
from rtchat.ui.controllers.voice_devices import VoiceDevices, system_devices
from rtchat.ui.controllers.voice_mode import VoiceMode
from rtchat.ui.screens.conversation_list import ConversationList
from rtchat.ui.screens.model_choices import ModelChoice
from rtchat.ui.screens.model_picker import ModelPicker, model_choices
from rtchat.ui.screens.protocol_picker import NO_TOOLS, ProtocolPicker, tool_notes
from rtchat.ui.screens.search import SearchScreen
from rtchat.ui.web_keys import PLACEHOLDER
from rtchat.ui.web_notices import EDITOR_OFF, PATH_NOTE, server_commands, server_voice
from rtchat.ui.widgets.key_footer import KeyFooter
from rtchat.ui.widgets.input.chips import Chip
from rtchat.ui.widgets.input.composer import Composer
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.history_views import message_factory
from rtchat.ui.widgets.transcript.jump_hint import JumpHint
from rtchat.ui.widgets.transcript.branch_switcher import BranchSwitcher, EditRequested, RegenerateRequested
from rtchat.ui.widgets.transcript.messages import MessageView
from rtchat.ui.widgets.transcript.tool_card import ToolCard
from rtchat.ui.widgets.transcript.transcript import Transcript
from rtchat.ui.widgets.transcript.welcome import Welcome

if TYPE_CHECKING:
    from collections.abc import Callable

    from rtchat.ui.controllers.races import RaceController

STATUS_SECONDS = 0.1  # how often live turn figures refresh


class ChatScreen(Screen[None]):
    """One conversation with one model at a time; the model can change between turns."""

    DEFAULT_CSS = """
    ChatScreen { layout: vertical; }
    ChatScreen ToastRack { margin-bottom: 2; }  /* toasts stand above the status line, not over it */
    """

    def __init__(
        self,
        config: Config,
        session: Session,
        model: str | None,
        protocol: str | None,
        history: Conversation | None,
        store_history: bool,
        voice_devices: VoiceDevices | None,
        bench_runs: int,
        run_editor: Callable[[list[str]], int],
    ) -> None:
        """`run_editor` hands the terminal to the editor; `voice_devices` replaces the microphone and speaker."""
        super().__init__()
        self.config = config
        self.session = session
        self.requested_model, self.requested_protocol = model, protocol
        self.store_history = store_history
        self.bench_runs = bench_runs
        self.thinking_open = False  # ctrl+t: every answer's thinking text shown, or folded to its one line
        self.transcript = Transcript(welcome=lambda: Welcome(config.keys or {}, web=self.app.is_web), id="transcript")
        self.jump_hint = JumpHint(id="jump-hint")
        self.prompt = PromptInput(id="prompt")
        self.status = StatusLine(id="status")
        self.state = ChatState(conversation=history or Conversation())
        self.settings = Settings(config, lambda text: self.notify(text, severity="warning", markup=False))
        self.history = HistoryController(self.state, self.transcript, self._history_problem)
        self.models = ModelController(self.state, self.session, config, self.settings, self.status, self.transcript)
        talk_key = key_for("push_to_talk", config.keys or {})
        self.tools = ToolsController(session, config.path)
        self.tools.approver.typing = lambda: self.app.focused is self.prompt and bool(self.prompt.text.strip())
        self.turns = TurnController(self.state, self.session, self.history, self.transcript, self.status, self._every, talk_key, self.tools)
        self.turns.protocol_key = key_for("cycle_protocol", config.keys or {})
        self._voice_where_said = False  # in a browser tab: the first voice key says whose microphone it is
        self.branches = BranchController(
            self.turns, self.history, self.transcript, self.prompt,
            notify=lambda text: self.notify(text, severity="warning", markup=False),
            spawn=lambda work, group, exclusive: self.run_worker(work, group=group, exclusive=exclusive),
            bell=lambda: self.app.bell(),
        )
        self._races: RaceController | None = None  # made on the first race (`races`)
        self.pending = PendingFiles(self.state)  # files for the next prompt
        self.system_prompt = SystemPrompt(self.state, self.history, config)
        self.composer = Composer(self.prompt, slash_sources(config, self.state, self.system_prompt), id="composer")
        voice_config = config.voice
        mode = VoiceMode(voice_devices or system_devices(voice_config), voice_config)
        self.voice = VoiceController(
            self.state, self.session, mode, self.turns, self.transcript, self.status,
            notify=lambda text: self.notify(text, markup=False),
            spawn=lambda work, group: self.run_worker(work, group=group),
            on_change=lambda: (self.voice.show(), self.share.follow_voice()),  # a share goes to voice as it opens
        )
        self.input = InputController(
            config, self.state, self.prompt, self.composer, self.pending, self.system_prompt,
            self.models, self.voice, self.turns, self.history, self.transcript, self.status,
            notify=lambda *args, **kwargs: self.notify(*args, **kwargs),
            spawn=lambda work, group, exclusive: self.run_worker(work, group=group, exclusive=exclusive),
            push_screen=lambda *args, **kwargs: self.app.push_screen(*args, **kwargs),
            run_action=lambda action: self.app.run_action(action),
            choose_model=self.choose_model,
            choose_protocol=self.choose_protocol,
            copy=lambda text: self.app.copy_to_clipboard(text),
            focused=lambda: self.app.focused,
            run_editor=run_editor,
            frame_for_turn=lambda: self.share.frame_for_turn(),
        )
        self.share = ShareController(
            self.state, self.session, self.history, self.status, self.prompt,
            notify=lambda *args, **kwargs: self.notify(*args, **kwargs),
            show_notice=self.transcript.show_notice,
            spawn=lambda work: self.run_worker(work, group="share"),
            keys_changed=lambda: self.refresh_bindings() if self.is_attached else None,
            stop_key=lambda: key_for("stop_sharing", config.keys or {}),
            voice_link=lambda: self.voice.current.link if self.voice.current is not None else None,
        )
        self.models.changed = self.share.follow_choice

    def compose(self) -> ComposeResult:
        yield self.transcript
        yield self.jump_hint
        yield self.composer  # the prompt, with its completions, pending files and system prompt line
        yield self.status
        yield KeyFooter()  # the keys that fit the width, a focused message's own first

    async def on_mount(self) -> None:
        if self.app.is_web:
            self._in_browser_tab()
        self.prompt.focus()
        self.app.call_later(self.app.input_ready)  # after the focus lands (focus() takes effect a message later)
        self.input.show_system_prompt()
        if self.state.conversation.messages:
            model = self.requested_model or "assistant"
            await self.transcript.load_history([message_factory(m, model) for m in self.state.conversation.messages])
        self.set_interval(STATUS_SECONDS, self._refresh_live_figures, name="status")
        self.status.show(model=self.requested_model or "", state="starting")
        self.run_worker(self.turns.serve(), group="turns")  # prompts wait until a model is ready
        # After the first frame: the history's SQLite file, and the model (httpx, the keyring and the
        # loopback, loaded in threads that would otherwise compete with the first paint for the GIL).
        self.call_after_refresh(self._open_first_model)

    def _in_browser_tab(self) -> None:
        """A browser tab (`rtchat web`): the newline keys it can type, and whose disk a path is on."""
        self.prompt.placeholder = PLACEHOLDER
        self.composer.sources.commands = server_commands(self.composer.sources.commands)
        self.composer.sources.path_note = PATH_NOTE
        self.input.where_exported = "the server's "

    @work(exclusive=True, group="resolve")
    async def _open_first_model(self) -> None:
        """After the first frame: the history opens, then the keyring and the loopback load in threads."""
        await self.history.open(self.store_history)
        reopen = await self._last_conversation()
        ref, problem = await self.models.start(self.requested_model)
        if problem is not None:
            await self.transcript.show_error(problem)
        if await self.models.switch(ref, self.requested_protocol):
            self.voice.follow_choice()
            self.prestart_tools()
        self.status.show(state="idle")
        if reopen is not None:
            self.open_conversation(reopen, quiet=True)

    async def _last_conversation(self) -> int | None:
        """With `[app] reopen_last = true`, the conversation to continue at start-up."""
        store = self.history.store
        if store is None or self.state.conversation.messages or not self.config.remembered.reopen_last:
            return None
        try:
            return await self.history.last_conversation_id()
        except StoreError:
            return None

    async def close(self) -> None:
        """When the app ends: the turn stops, the microphone and the store close."""
        self.turns.cancel()
        await self.share.stop(None)  # recorded before the history closes
        await self.voice.close()
        await self.history.close()

    def _every(self, seconds: float, callback):
        return self.set_interval(seconds, callback)

    def _history_problem(self, text: str) -> None:
        self.call_later(self.transcript.show_notice, Notice(text, "warning"))

    def _refresh_live_figures(self) -> None:
        self.voice.show()  # the input level meter moves while listening
        self.share.show()  # the frame count moves while sharing
        native = self.app.native_stderr  # type: ignore[attr-defined]  # RtChatApp: run_app set it, or None under Pilot
        if native is not None and native.underruns != self.status.facts.underruns:
            self.status.show(underruns=native.underruns)  # ALSA's underruns, counted off the screen
        running = self.turns.show_figures()
        self.jump_hint.show(running and not self.transcript.following)

    # --- model, effort, protocol ----------------------------------------------------------

    @work(exclusive=True, group="resolve")
    async def switch_model(self, ref: str, protocol: str | None = None) -> None:
        """Resolve a model (starting the loopback server when needed) and make it current."""
        if await self.models.switch(ref, protocol):
            self.voice.follow_choice()
            self.prestart_tools()

    def prestart_tools(self) -> None:
        """A model was picked: `loopback/tools` gets its demo server started now (ToolsController.prestart)."""
        target = self.state.target
        if target is not None:
            self.run_worker(self.tools.prestart(target, self.state.protocol, self._history_problem), group="tools-prestart")

    def action_pick_model(self) -> None:
        choices = model_choices(self.config.catalog.providers.values(), has_key, LOOPBACK_MODELS)
        self.app.push_screen(ModelPicker(choices, self.state.ref))

    def choose_model(self, choice: ModelChoice) -> None:
        """Switch to the model chosen (in the picker or by /model), asking for its key first if it has none."""
        from rtchat.ui.screens.key_entry import KeyEntry  # deferred: a screen loads when first opened, off the app's first frame

        ref = choice.ref

        def use() -> None:
            self.switch_model(ref)
            self.models.remember(ref)
            self.notify(f"model {ref}", markup=False, timeout=2)

        if choice.key_set:
            use()
        else:
            self.app.push_screen(KeyEntry(choice.provider), lambda stored: use() if stored else None)

    def action_cycle_effort(self) -> None:
        note = self.models.cycle_effort()
        if note:
            self.notify(note, markup=False, timeout=2)

    def action_cycle_protocol(self) -> None:
        note = self.models.cycle_protocol(self.voice.unusable_protocols())
        if note:
            self.voice.follow_choice()
            self.notify(note, markup=False, timeout=2)

    def action_pick_protocol(self) -> None:
        target = self.state.target
        if target is not None:
            unusable = self.voice.unusable_protocols()
            notes = {**self.voice.partial_protocols(), **tool_notes(self.session, target, self.tools.choices)}
            self.app.push_screen(ProtocolPicker(target.ref, protocol_options(target.info, unusable), self.state.protocol, notes))

    def choose_protocol(self, protocol: str) -> None:
        note = self.models.set_protocol(protocol)
        self.voice.follow_choice()
        self.notify(note, markup=False, timeout=2)

    # --- sending, stopping, voice ---------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _prompt_submitted(self, event: PromptInput.Submitted) -> None:
        await self.input.submit(event.text)

    def interrupt(self, alone: bool) -> None:
        """ctrl+c (the app's key): stop the answer at once (keeping it); when idle and `alone` (no
        dialog above this screen), clear the input. A second ctrl+c soon after, while sharing, stops the share."""
        if self.share.interrupt():
            pass
        elif self.turns.cancel():  # a spoken answer stops as a barge-in does
            pass
        elif self.voice.interrupt():
            pass
        elif alone:
            if self.turns.editing is not None:  # an edit in progress is dropped with its text and files
                self.run_worker(self.input.replace_files([]), group="attach")
            self.turns.editing = None
            self.prompt.clear()
        if alone:
            self.prompt.focus()

    @work(group="voice")
    async def action_push_to_talk(self) -> None:
        await self._say_whose_voice()
        await self.voice.push_to_talk()

    @work(group="voice")
    async def action_toggle_hands_free(self) -> None:
        await self._say_whose_voice()
        await self.voice.toggle_hands_free()

    async def _say_whose_voice(self) -> None:
        """In a browser tab, once: voice is the server's microphone and speaker, named."""
        if self.app.is_web and not self._voice_where_said:
            self._voice_where_said = True
            self.notify(await asyncio.to_thread(server_voice, self.config.voice), markup=False, timeout=8)

    # --- the input: slash commands, system prompt, files, editor (the InputController) ------

    @on(PromptInput.Command)
    async def _command(self, event: PromptInput.Command) -> None:
        await self.input.run_command(event.text)

    def action_start_slash(self, name: str) -> None:
        self.input.start_slash(name)

    def action_use_model(self, typed: str) -> None:
        self.input.use_model(typed)

    def action_use_protocol(self, typed: str) -> None:
        self.input.use_protocol(typed)

    def action_use_effort(self, typed: str) -> None:
        self.input.use_effort(typed)

    def action_edit_system_prompt(self) -> None:
        self.input.edit_system_prompt()

    def action_set_system_prompt(self, text: str, persona: str | None = None) -> None:
        self.input.set_system_prompt(text, persona)

    async def action_use_persona(self, name: str) -> None:
        await self.input.use_persona(name)

    async def action_list_personas(self) -> None:
        await self.input.list_personas()

    def action_attach_file(self, typed: str) -> None:
        self.input.attach_file(typed)

    def action_paste_image(self) -> None:
        self.input.paste_image(self.app.clipboard, web=self.app.is_web)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+v and ctrl+s are the chat's only while no dialog is open (a dialog's input pastes as it
        always did; the system prompt dialog saves on ctrl+s); the share key offers /share, or while
        sharing stops it (and only then is in the footer)."""
        if action == "paste_image":
            return self.app.screen is self
        if action == "stop_sharing":
            return self.share.active and self.app.screen is self
        if action == "start_slash" and parameters == ("share",):  # the share key: while sharing, it stops
            return not self.share.active and self.app.screen is self
        return True

    # --- sharing the screen, a camera or a file (the ShareController) ------------------------

    def action_use_share(self, typed: str) -> None:
        self.input.run_slowly(lambda: self.share.use(typed, web=self.app.is_web), "share")

    async def action_stop_sharing(self) -> None:
        await self.share.stop("sharing stopped")

    def action_pick_camera(self) -> None:
        from rtchat.ui.screens.camera_picker import CameraPicker  # deferred: a screen loads when first opened, off the app's first frame

        def chosen(device: str | None) -> None:
            if device is not None:
                self.share.camera = device
                self.notify(f"camera {device}: /share camera opens it", markup=False, timeout=3)

        self.app.push_screen(CameraPicker(self.share.camera, self.share.list_cameras), chosen)

    @on(PromptInput.LargePaste)
    def _large_paste(self, event: PromptInput.LargePaste) -> None:
        self.input.attach_paste(event.text)

    @on(PromptInput.PathPasted)
    def _path_pasted(self, event: PromptInput.PathPasted) -> None:
        self.input.offer_path(event.path)

    @on(Chip.Removed)
    async def _chip_removed(self, event: Chip.Removed) -> None:
        await self.input.remove_file(event.index)

    @on(PromptInput.EmptyBackspace)
    async def _empty_backspace(self) -> None:
        await self.input.remove_last_file()

    @on(PromptInput.EditorRequested)
    def _editor_requested(self) -> None:
        self.action_open_editor()

    def action_open_editor(self) -> None:
        if self.app.is_web:
            self.notify(EDITOR_OFF, severity="warning", markup=False)
            return
        self.input.open_editor()

    def action_copy_code_block(self) -> None:
        self.input.copy_code_block()

    @work(exclusive=True, group="conversation")
    async def action_clear_conversation(self) -> None:
        await self.share.stop("sharing stopped: the conversation was cleared")
        await self.input.clear_conversation()
        self.tools.reset()

    def action_export_conversation(self, typed: str = "") -> None:
        self.input.export_conversation(typed)

    # --- the transcript -------------------------------------------------------------------

    def action_toggle_all_thinking(self) -> None:
        self.thinking_open = not self.thinking_open
        self.transcript.open_thinking(self.thinking_open)
        self.notify("thinking shown" if self.thinking_open else "thinking folded", timeout=2)

    def action_jump_to_latest(self) -> None:
        self.transcript.jump_to_latest()
        self.jump_hint.show(False)

    def action_focus_input(self) -> None:
        self.prompt.focus()

    def action_focus_transcript(self) -> None:
        self.transcript.focus_latest()

    def action_copy_last_answer(self) -> None:
        self.transcript.copy_latest_answer()

    @on(MessageView.LeaveRequested)
    def _leave_message(self) -> None:
        self.prompt.focus()

    # --- tool calls: the user's answer on a card (the ToolsController's approver) --------------

    def action_pick_tools(self) -> None:
        """/tools: this conversation's MCP servers and tools, on or off (the servers start to list them)."""
        from rtchat.ui.screens.tools import ToolsScreen  # deferred: a screen loads when first opened, off the app's first frame

        target = self.state.target
        if target is None:
            self.notify("no model is selected yet", severity="warning")
            return
        note = "" if self.session.carries_tools(target, self.state.protocol) else NO_TOOLS
        self.app.push_screen(ToolsScreen(target.ref, lambda: self.tools.servers(target, lambda line: None), self.tools.choices, note), lambda _: self.run_worker(self.voice.tools_changed(), group="voice"))

    @on(ToolCard.LeaveRequested)
    def _leave_card(self, event: ToolCard.LeaveRequested) -> None:
        """Back to the input, unless another card asks now (it keeps the keys)."""
        if any(card is not event.card and card.state == "asking" for card in self.query(ToolCard)):
            return  # (told by state, not focus: its own focus() may not have landed yet)
        self.prompt.focus()

    @on(ToolCard.Decided)
    def _tool_decided(self, event: ToolCard.Decided) -> None:
        event.stop()
        self.tools.approver.answered(event.call_id, event.decision)

    @on(ToolCard.SaveRequested)
    def _tool_save(self, event: ToolCard.SaveRequested) -> None:
        event.stop()
        self.notify(self.tools.approver.save(event.server, event.tool), markup=False, timeout=3)

    @on(MessageView.Copied)
    def _copied(self, event: MessageView.Copied) -> None:
        self.notify(f"copied {event.chars} characters to the clipboard")

    def action_help(self) -> None:
        from rtchat.ui.screens.help import HelpScreen  # deferred: a screen loads when first opened, off the app's first frame

        self.app.push_screen(HelpScreen(self.config.keys, web=self.app.is_web))

    # --- branches: regenerate, edit, flip (the BranchController) -----------------------------

    def action_regenerate(self, answer_id: int | None = None) -> None:
        self.branches.regenerate(answer_id)

    def action_edit_prompt(self, prompt_id: int | None = None) -> None:
        self.run_worker(self._edit_prompt(prompt_id), group="branches")

    async def _edit_prompt(self, message_id: int | None) -> None:
        replaced = await self.branches.edit_prompt(message_id)
        if replaced is None:
            return
        await self.input.replace_files(replaced.attachments)
        files = len(replaced.attachments)
        kept = f" with its {files} file{'s' if files > 1 else ''} (✕ removes one)" if files else ""
        lost = f"; no longer stored: {', '.join(replaced.missing_attachments)}" if replaced.missing_attachments else ""
        self.notify(f"editing a prompt{kept}: Enter sends it as a new branch (the old one stays); ctrl+c cancels{lost}", markup=False, timeout=4)

    def action_cancel_edit(self) -> None:
        self.branches.cancel_edit()

    def action_previous_branch(self) -> None:
        self.branches.flip_last(-1)

    def action_next_branch(self) -> None:
        self.branches.flip_last(1)

    @on(BranchSwitcher.Flip)
    def _flip(self, event: BranchSwitcher.Flip) -> None:
        self.branches.flip(event.message_id, event.step)

    @on(RegenerateRequested)
    def _regenerate_requested(self, event: RegenerateRequested) -> None:
        self.branches.regenerate(event.message_id)

    @on(EditRequested)
    def _edit_requested(self, event: EditRequested) -> None:
        self.action_edit_prompt(event.message_id)

    # --- history ----------------------------------------------------------------------------

    def _history_off(self) -> bool:
        if self.history.store is None:
            self.notify("the history is off for this session (see the notice in the transcript)", severity="warning")
            return True
        return False

    def action_list_conversations(self) -> None:
        if not self._history_off():
            self.app.push_screen(ConversationList(self.history.store, self.history.conversation_id))

    def action_search_history(self) -> None:
        if not self._history_off():
            self.app.push_screen(SearchScreen(self.history.store))

    def forget_deleted(self, conversation_id: int) -> None:
        """A conversation was deleted in the list: if it is the one shown, start afresh."""
        if conversation_id == self.history.conversation_id:
            self.action_new_conversation()

    @work(exclusive=True, group="conversation")
    async def action_new_conversation(self) -> None:
        await self.share.stop("sharing stopped: a new conversation")
        await self.input.start_afresh(keep_system=False)
        self.tools.reset()
        self.notify("new conversation", timeout=2)

    @work(exclusive=True, group="conversation")
    async def open_conversation(self, conversation_id: int, quiet: bool = False, branch_of: int | None = None) -> None:
        """Show a stored conversation and continue it, with the model that last answered in it
        (`branch_of`: first put it on the branch through that message, a search hit's)."""
        if self.history.store is None:
            return
        await self.turns.stop()
        await self.share.stop("sharing stopped: another conversation")
        try:
            if branch_of is not None:
                await asyncio.to_thread(self.history.store.select_branch, conversation_id, branch_of)
            reopened = await self.history.reopen(conversation_id)
        except (StoreError, KeyError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if reopened is None:
            return
        self.tools.reset()
        self.status.reset_turn()
        await self.share.recall(conversation_id)
        self.system_prompt.forget_persona()
        self.input.show_system_prompt()
        self.turns.show_context()
        if reopened.model and reopened.model != self.state.ref:
            self.switch_model(reopened.model, protocol=reopened.protocol)
        if not quiet:
            self.notify(f"opened “{reopened.title}”", markup=False, timeout=2)
        self.prompt.focus()

    # --- bench --------------------------------------------------------------------------------

    def action_run_bench(self) -> None:
        from rtchat.ui.screens.confirm import ConfirmDialog  # deferred: a screen loads when first opened, off the app's first frame

        target = self.state.target
        if target is None:
            self.notify("no model is selected yet", severity="warning")
            return
        offer = bench_offer(self.config, target, self.bench_runs)
        if offer.question is None:
            self.app.push_screen(offer.screen)
        else:
            self.app.push_screen(ConfirmDialog(offer.question, yes="Run bench"), lambda yes: self.app.push_screen(offer.screen) if yes else None)

    def action_race(self) -> None:
        """Race the current prompt over every protocol of the current model, side by side."""
        self.races.open()

    @property
    def races(self) -> RaceController:
        """Made on the first race, so the race (its screens and the bench) stays off the app's first frame."""
        if self._races is None:
            from rtchat.ui.controllers.races import RaceController  # deferred: the race (its screens and the bench), off the app's first frame

            self._races = RaceController(
                self.state, self.session, self.config, self.turns, self.history, self.transcript, self.prompt,
                notify=lambda text: self.notify(text, severity="warning", markup=False),
                push_screen=lambda *args, **kwargs: self.app.push_screen(*args, **kwargs),
                spawn=lambda work: self.run_worker(work, group="race-keep"),
                models=self.models,
            )
        return self._races



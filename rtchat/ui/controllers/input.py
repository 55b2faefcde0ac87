"""The input's commands: slash commands, the system prompt and personas, attachments,
the external editor, copying one code block, /clear and /export.

Given what it works on when it is made (the input, the composer, the pending files,
the turn, history, model and voice controllers) and the few app services it needs
(notify, workers, screens, the clipboard). Every action has a key or a palette entry
(rtchat/ui/commands.py) and the slash command that names it
(rtchat/ui/controllers/slash.py): the app's action of that name calls the method
here, so a slash command runs the very code its key runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any

from textual.widget import Widget

from rtchat.attachments import Attachment
from rtchat.catalog import PROTOCOLS, UnknownProvider, parse_model_ref
from rtchat.clipboard_image import read_clipboard_image
from rtchat.config import Config, Persona
from rtchat.secrets import has_key
from rtchat.store import Store
from rtchat.ui.choices import DEFAULT_EFFORT, efforts_for, protocol_options
from rtchat.ui.controllers.attach import PendingFiles
from rtchat.ui.controllers.code_blocks import CodeBlock, code_blocks
from rtchat.ui.controllers.editor import NoTerminal, Run, edit_text
from rtchat.ui.controllers.export_file import export_path, write_export
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.model import ModelController
from rtchat.ui.controllers.slash import Sources, is_command, parse
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.controllers.system_prompt import SystemPrompt
from rtchat.ui.controllers.turns import TurnController
from rtchat.ui.controllers.voice import VoiceController
from rtchat.ui.screens.model_choices import ModelChoice
from rtchat.ui.widgets.input.composer import Composer
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.messages import AssistantMessage
from rtchat.ui.widgets.transcript.transcript import Transcript

Notify = Callable[..., None]  # App.notify(message, severity=..., timeout=..., markup=...)
Spawn = Callable[[Coroutine[Any, Any, Any], str, bool], object]  # runs work in a worker group (exclusive or not)
PushScreen = Callable[..., object]  # App.push_screen(screen, callback)
RunAction = Callable[[str], Awaitable[object]]  # App.run_action("name('argument')")


def slash_sources(config: Config, state: ChatState, system_prompt: SystemPrompt) -> Sources:
    """What the slash commands complete: models, the current model's protocols and efforts, personas."""

    def models() -> list[str]:
        return [f"{p.id}/{m.id}" for p in config.catalog.providers.values() for m in p.models]

    def protocols() -> list[str]:
        target = state.target
        return [p for p, why in protocol_options(target.info) if why is None] if target else list(PROTOCOLS)

    def efforts() -> list[str]:
        return list(efforts_for(state.target.info)) if state.target else []

    return Sources(models=models, protocols=protocols, efforts=efforts, personas=system_prompt.names)


class InputController:
    def __init__(
        self,
        config: Config,
        state: ChatState,
        prompt: PromptInput,
        composer: Composer,
        pending: PendingFiles,
        system_prompt: SystemPrompt,
        models: ModelController,
        voice: VoiceController,
        turns: TurnController,
        history: HistoryController,
        transcript: Transcript,
        status: StatusLine,
        *,
        notify: Notify,
        spawn: Spawn,
        push_screen: PushScreen,
        run_action: RunAction,
        choose_model: Callable[[ModelChoice], None],
        choose_protocol: Callable[[str], None],
        copy: Callable[[str], None],
        focused: Callable[[], Widget | None],
        run_editor: Run,
        frame_for_turn: Callable[[], Attachment | None] = lambda: None,
    ) -> None:
        self.config = config
        self.state = state
        self.prompt = prompt
        self.composer = composer
        self.pending = pending
        self.system_prompt = system_prompt
        self.models = models
        self.voice = voice
        self.turns = turns
        self.history = history
        self.transcript = transcript
        self.status = status
        self.notify = notify
        self.spawn = spawn
        self.push_screen = push_screen
        self.run_action = run_action
        self.choose_model = choose_model
        self.choose_protocol = choose_protocol
        self.copy = copy
        self.focused = focused
        self.run_editor = run_editor
        self.where_exported = ""  # a browser tab: "the server's ", whose disk the file is on
        self.frame_for_turn = frame_for_turn  # a running share's latest frame, for the prompt being sent
        self.refused = False  # set when an action said why it could not run: its slash command stays in the input

    def refuse(self, line: str) -> None:
        """One clear line; the slash command that asked stays in the input to be fixed."""
        self.refused = True
        self.notify(line, severity="warning", markup=False)

    # --- slash commands ------------------------------------------------------------------

    async def run_command(self, text: str) -> None:
        """Run a typed slash command as the app action it names; the input keeps it if refused."""
        call = parse(text)
        if isinstance(call, str):
            self.refuse(call)
            return
        self.refused = False
        await self.run_action(call.action)
        if not self.refused:
            self.prompt.accept_command()

    def run_slowly(self, doing: Callable[[], Awaitable[str | None]], group: str) -> None:
        """A command whose work takes a while (opening a camera) runs in a worker: the input stays
        live meanwhile; the command leaves it once done, or stays with the one line `doing` returns."""
        self.refused = True  # not yet accepted: `_run_slowly` accepts it when done
        self.spawn(self._run_slowly(doing, self.prompt.text), group, False)

    async def _run_slowly(self, doing: Callable[[], Awaitable[str | None]], command: str) -> None:
        problem = await doing()
        if problem:
            self.notify(problem, severity="warning", markup=False)
        elif is_command(command) and self.prompt.text == command:
            self.prompt.accept_command()

    def start_slash(self, name: str) -> None:
        """From the palette: the input gets `/name ` and offers its completions."""
        self.prompt.load_text(f"/{name} ")
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()

    def use_model(self, typed: str) -> None:
        try:
            ref = parse_model_ref(typed.strip())
            provider = self.config.catalog.provider(ref.provider)
        except (ValueError, UnknownProvider) as exc:
            self.refuse(str(exc))
            return
        key_set = not provider.needs_key or has_key(provider)
        self.choose_model(ModelChoice(provider, provider.model(ref.model), key_set))

    def use_protocol(self, typed: str) -> None:
        target, name = self.state.target, typed.strip().lower()
        if target is None:
            self.refuse("no model is selected yet")
            return
        reasons = dict(protocol_options(target.info))
        if name not in reasons:
            self.refuse(f"unknown protocol {typed.strip()!r}: one of {', '.join(PROTOCOLS)}")
        elif reasons[name]:
            self.refuse(reasons[name])
        else:
            self.choose_protocol(name)

    def use_effort(self, typed: str) -> None:
        target, level = self.state.target, typed.strip().lower()
        if target is None:
            self.refuse("no model is selected yet")
            return
        options = efforts_for(target.info)
        if level not in options:
            self.refuse(f"{target.ref} takes effort {', '.join(options)}, not {typed.strip()!r}")
            return
        self.models.set_effort(level)
        self.notify(f"effort {level}" if level != DEFAULT_EFFORT else "effort default: none is sent", markup=False, timeout=2)

    # --- system prompt and personas ------------------------------------------------------

    def edit_system_prompt(self) -> None:
        from rtchat.ui.screens.system_prompt import SystemPromptScreen  # deferred: a screen loads when first opened, off the app's first frame

        def chosen(text: str | None) -> None:
            if text is not None:
                self.set_system_prompt(text)

        prompt = self.system_prompt
        self.push_screen(SystemPromptScreen(prompt.text, prompt.names(), prompt.persona), chosen)

    def set_system_prompt(self, text: str, persona: str | None = None) -> None:
        self.spawn(self._set_system_prompt(text, persona), "system_prompt", False)

    async def _set_system_prompt(self, text: str, persona: str | None) -> None:
        problem = await self.system_prompt.set(text, persona)
        self.show_system_prompt()
        if problem:
            self.notify(problem, severity="error", markup=False)
        elif not persona:
            self.notify("system prompt set" if self.system_prompt.text else "system prompt cleared", markup=False, timeout=2)

    def show_system_prompt(self) -> None:
        self.composer.show_system(self.system_prompt.text, self.system_prompt.persona)

    async def list_personas(self) -> None:
        """`/persona` alone: read the config's personas again and name them."""
        problem = await self.system_prompt.reload()
        self.notify(problem or self.system_prompt.loaded(), severity="warning" if problem else "information", markup=False)

    async def use_persona(self, name: str) -> None:
        """`/persona NAME`, read from the config file as it is now (edited while the app runs, too)."""
        before = self.system_prompt.names()
        problem = await self.system_prompt.reload()
        if problem or self.system_prompt.names() != before:
            self.notify(problem or self.system_prompt.loaded(), severity="warning" if problem else "information", markup=False)
        persona = self.system_prompt.find(name)
        if isinstance(persona, str):
            self.refuse(persona)
            return
        self.spawn(self._apply_persona(persona), "resolve", True)

    async def _apply_persona(self, persona: Persona) -> None:
        """Prompt first, then the model (switching resets the effort), then the effort."""
        if persona.prompt is not None:
            self.set_system_prompt(persona.prompt, persona.name)
        if persona.model and persona.model != self.state.ref and await self.models.switch(persona.model):
            self.voice.follow_choice()
        if persona.effort and self.state.target is not None and persona.effort in efforts_for(self.state.target.info):
            self.models.set_effort(persona.effort)
        self.notify(f"persona {persona.name}", markup=False, timeout=2)

    # --- attachments -----------------------------------------------------------------------

    def attach_file(self, typed: str) -> None:
        """The file is read by a worker, never in this handler: a slow or huge file cannot
        freeze the input. The command leaves the input once the file is attached."""
        self.refused = True  # not yet accepted: `_attach` accepts it when the file is in
        self.spawn(self._attach(partial(self.pending.add, typed), command=self.prompt.text), "attach", False)

    def attach_paste(self, text: str) -> None:
        """A paste too large for the input becomes a pending text file; the input is left as it was."""
        self.spawn(self._attach(partial(self.pending.add_paste, text), command=None), "attach", False)

    async def _attach(self, adding: Callable[[], Awaitable[str | None]], command: str | None) -> None:
        problem = await adding()
        if problem:
            self.notify(problem, severity="warning", markup=False)  # a command stays in the input, to be fixed
            return
        added = self.pending.files[-1]
        await self.composer.show_pending(self.pending.files)
        if command is None:
            self.notify(f"the {added.size_label} paste is attached as {added.name} (✕ removes it)", markup=False, timeout=4)
        elif self.prompt.text == command:  # unless the input was changed meanwhile
            self.prompt.accept_command()

    def paste_image(self, copied: str = "", web: bool = False) -> None:
        """ctrl+v, /paste: the clipboard's image becomes a pending chip, checked against the model like
        any file. Without one, ctrl+v in the input pastes `copied` (what rtchat copied), as it did before."""
        if web:  # the clipboard rtchat could read is the server machine's, not the browser's
            self.refuse("in a browser rtchat cannot read your clipboard's image: save it and attach it with /attach PATH")
            return
        self.refused = True  # a /paste stays in the input until the image is in
        self.spawn(self._paste_image(self.prompt.text, copied), "attach", False)

    async def _paste_image(self, command: str, copied: str) -> None:
        problem = await self.pending.add_image(read_clipboard_image)
        if problem is None:
            added = self.pending.files[-1]
            await self.composer.show_pending(self.pending.files)
            if command.strip() == "/paste" and self.prompt.text == command:
                self.prompt.accept_command()
            self.notify(f"the clipboard's {added.size_label} image is attached as {added.name} (✕ removes it)", markup=False, timeout=4)
        elif command.strip() != "/paste" and self.focused() is self.prompt and copied:
            self.prompt.action_paste()  # no image: the input's own ctrl+v (what rtchat copied)
        else:
            self.notify(problem, severity="warning", markup=False)

    def offer_path(self, path: str) -> None:
        """A pasted file path becomes `/attach PATH`: Enter attaches, editing the line sends it as text."""
        self.prompt.load_text(f"/attach {path}")
        self.prompt.move_cursor(self.prompt.document.end)
        self.notify("Enter attaches this file (or edit the line to send the path as text)", markup=False, timeout=4)

    async def replace_files(self, files: list[Attachment]) -> None:
        """The pending files become `files`: an edited prompt starts with its original's, removable."""
        self.pending.files = list(files)
        await self.composer.show_pending(self.pending.files)

    async def remove_file(self, index: int) -> None:
        self.pending.remove(index)
        await self.composer.show_pending(self.pending.files)

    async def remove_last_file(self) -> None:
        """Backspace in an empty input takes back the last pending file."""
        if self.pending.files:
            await self.remove_file(len(self.pending.files) - 1)

    async def submit(self, text: str) -> None:
        """Send with the pending files, unless one cannot go: then one line, and the text comes back."""
        problem = self.pending.first_problem()
        if problem:
            self.notify(problem, severity="warning", markup=False)
            self.prompt.load_text(text)
            self.prompt.move_cursor(self.prompt.document.end)
            return
        files = self.pending.take()
        frame = self.frame_for_turn()
        if frame is not None:  # sharing with a model that takes images per turn: the latest frame goes along
            files.append(frame)
        if files:
            await self.composer.show_pending([])
        await self.turns.submit(text, files)

    # --- the external editor -------------------------------------------------------------

    def open_editor(self) -> None:
        try:
            text, problem = edit_text(self.prompt.text, self.run_editor)
        except NoTerminal:
            text, problem = None, "this terminal cannot be handed to an editor"
        if text is None:
            self.notify(problem or "the input is unchanged", severity="warning", markup=False)
            return
        self.prompt.load_text(text)
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()

    # --- copying one code block ------------------------------------------------------------

    def copy_code_block(self) -> None:
        focused = self.focused()
        answers = list(self.transcript.query(AssistantMessage))
        answer = focused if isinstance(focused, AssistantMessage) else (answers[-1] if answers else None)
        blocks = code_blocks(answer.text) if answer is not None else []
        if not blocks:
            self.notify("no code block in that answer" if answer else "no answer yet", severity="warning")
            return
        if len(blocks) == 1:
            self._copy_block(blocks[0])
            return
        from rtchat.ui.screens.code_block_picker import CodeBlockPicker  # deferred: a screen loads when first opened, off the app's first frame

        self.push_screen(CodeBlockPicker(blocks), lambda index: self._copy_block(blocks[index]) if index is not None else None)

    def _copy_block(self, block: CodeBlock) -> None:
        self.copy(block.code)
        lines = f"{block.lines} line" + ("s" if block.lines != 1 else "")
        self.notify(f"copied the {block.language or 'text'} block ({lines})", markup=False, timeout=2)

    # --- new, clear, export ------------------------------------------------------------------

    async def start_afresh(self, keep_system: bool) -> None:
        """A new conversation on screen and in the history; `/clear` keeps the system prompt."""
        system, persona = self.system_prompt.text, self.system_prompt.persona
        await self.turns.stop()
        await self.history.start_new()
        self.status.reset_turn()  # no figure or error of the old conversation stays
        await self.system_prompt.set(system if keep_system else None, persona if keep_system else None)
        self.show_system_prompt()
        self.prompt.focus()

    async def clear_conversation(self) -> None:
        await self.start_afresh(keep_system=True)
        self.notify("conversation cleared" + ("; the system prompt stays" if self.system_prompt.text else ""), timeout=2)

    def export_conversation(self, typed: str = "") -> None:
        store, conversation_id = self.history.store, self.history.conversation_id
        if store is None:
            self.refuse("the history is off for this session: nothing to export")
            return
        if conversation_id is None:
            self.refuse("nothing to export yet: send a prompt first")
            return
        path = export_path(conversation_id, typed)
        if isinstance(path, str):
            self.refuse(path)
            return
        self.spawn(self._export_conversation(store, conversation_id, path), "export", False)

    async def _export_conversation(self, store: Store, conversation_id: int, path: Path) -> None:
        """Read and write on a thread: SQLite and the file never run on the event loop."""
        written, line = await asyncio.to_thread(write_export, store, conversation_id, path)
        if written is not None and self.where_exported:
            line = line.replace("exported to ", f"exported to {self.where_exported}disk: ", 1)
        self.notify(line, severity="information" if written is not None else "warning", markup=False)

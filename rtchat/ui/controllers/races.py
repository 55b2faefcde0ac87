"""Starting a race from the app and keeping the chosen answer (loaded on the first race).

The kept answer becomes the conversation's reply: the prompt and that answer
are stored in the history like any turn, through the one `TurnService`, from each
racer's own answer (the fold its column showed, so the store holds exactly what
was seen). The other racers' answers are stored as its siblings, so the branch
switcher flips to them; a race of the last prompt again (nothing typed) puts them
beside that prompt's old answer.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from rtchat.config import Config
from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.race import Lane, Race, RaceSpec
from rtchat.race.cost import paid_question
from rtchat.race.targets import MIN_TARGETS
from rtchat.session import Session
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.model import ModelController
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.controllers.turns import TurnController
from rtchat.ui.screens.confirm import ConfirmDialog
from rtchat.ui.screens.race import RaceScreen
from rtchat.ui.widgets.race.figures import figure_lines
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage
from rtchat.ui.widgets.transcript.transcript import Transcript

Notify = Callable[[str], None]  # a warning the user reads
PushScreen = Callable[..., object]  # App.push_screen(screen, callback)
Spawn = Callable[[Coroutine[Any, Any, Any]], object]  # runs work in the race's worker group


def race_prompt(conversation: Conversation, typed: str) -> tuple[str, Conversation] | None:
    """The typed text (after the whole conversation), else the last prompt (after what preceded it)."""
    if typed.strip():
        return typed.strip(), conversation
    for index in range(len(conversation.messages) - 1, -1, -1):
        message = conversation.messages[index]
        if message.role == "user":
            return message.text, Conversation(list(conversation.messages[:index]), conversation.system)
    return None


class RaceController:
    def __init__(
        self, state: ChatState, session: Session, config: Config, turns: TurnController, history: HistoryController,
        transcript: Transcript, prompt: PromptInput, notify: Notify, push_screen: PushScreen, spawn: Spawn,
        models: ModelController | None = None,
    ) -> None:
        self.models = models  # the kept racer's model and protocol answer the next turn
        self.state = state
        self.session = session
        self.config = config
        self.turns = turns
        self.history = history
        self.transcript = transcript
        self.prompt = prompt
        self.notify = notify
        self.push_screen = push_screen
        self.spawn = spawn

    def open(self, specs: Sequence[RaceSpec] | None = None, prompt: str | None = None, confirmed: bool = False) -> None:
        """Race `prompt` (else the current one) over `specs` (else the current model over each of its protocols)."""
        if not self.turns.idle:
            self.notify("an answer is streaming: stop it (ctrl+c) before racing")
            return
        base = self.state.conversation
        if prompt is None:
            found = race_prompt(base, self.prompt.text)
            if found is None:
                self.notify("type a prompt first: the race sends the text in the input")
                return
            prompt, base = found
        if specs is None:
            target = self.state.target
            if target is None:
                self.notify("no model is selected yet")
                return
            specs = [RaceSpec(target.ref, protocol) for protocol in target.info.protocols]
        if len(specs) < MIN_TARGETS:
            self.notify(f"a race needs at least {MIN_TARGETS} targets; {specs[0].model} offers one protocol")
            return
        race = Race(self.session, specs, base, prompt, self.state.effort)
        self.prompt.clear()

        def push() -> None:
            self.push_screen(RaceScreen(race), lambda lane: self.spawn(self.keep(race, lane)) if lane else None)

        question = paid_question(self.config, specs, prompt)
        if question is None or confirmed:
            push()
        else:
            self.push_screen(ConfirmDialog(f"{question} Race?", yes="Race"), lambda yes: push() if yes else None)

    async def keep(self, race: Race, lane: Lane) -> None:
        """The chosen answer becomes the reply: in the conversation, the history and the transcript.
        The other racers' answers are stored beside it as siblings (‹ › flips to them)."""
        turn = lane.turn
        assert turn is not None
        answer = turn.answer()
        message = answer.message()
        if message is None:
            return
        kept_id = await self._store(race, lane) if self.history.store is not None else None
        if kept_id is not None:
            await self.history.select(kept_id)
        else:  # the history is off: the kept answer lives in memory only
            self.state.conversation.add_user(race.prompt)
            self.state.conversation.messages.append(message)
            await self.transcript.add(UserMessage(race.prompt))
            view = AssistantMessage(turn.target.ref, answer.text, thinking="".join(block.text for block in answer.thinking))
            view.mark(answer.status)
            await self.transcript.add(view)
        await self.transcript.show_notice(Notice(summary(race, lane)))
        self.transcript.jump_to_latest()
        if self.models is not None:
            self.models.adopt(turn.target, lane.spec.protocol)
            self.models.status.show_clock(turn.stats())  # the figures beside it are the kept answer's
            self.turns.show_cost(turn)

    async def _store(self, race: Race, kept: Lane) -> int | None:
        """Store the prompt (unless the race answered the last stored prompt again) and every
        racer's answer after it, as each column showed it; returns the kept one's id."""
        history = self.history
        target = kept.turn.target if kept.turn is not None else None
        assert target is not None
        answered_again = len(race.conversation.messages) < len(self.state.conversation.messages)
        parent = None
        if answered_again:
            try:
                parent = (await history.branch_point("regenerate")).parent
            except LookupError:
                parent = None
        if parent is None:
            parent = await history.service.prompt(race.prompt, target, kept.spec.protocol, self.state.conversation.system)
        if parent is None:
            return None
        kept_id = None
        for lane in race.lanes:
            if lane.turn is None or (lane is not kept and lane.turn.answer().message() is None):
                continue  # a racer that said nothing leaves no sibling
            answer_id = await history.service.record(lane.turn, parent)
            if lane is kept:
                kept_id = answer_id
        return kept_id


def summary(race: Race, kept: Lane) -> str:
    """One line per racer, so the race's outcome stays readable in the transcript."""
    lines = [f"race of {len(race.lanes)}: kept {kept.spec.label}"]
    for lane in race.lanes:
        marks = "".join(mark for mark, on in ((" ★", lane.first_answer), (" ⚑", lane.first_finish)) if on)
        lines.append(f"{lane.spec.label}{marks}: " + figure_lines(lane.figures(), lane.spec.protocol).replace("\n", " · "))
    return "\n".join(lines)

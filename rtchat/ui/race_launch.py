"""Starting a race from the app and keeping the chosen answer (app-level glue, like race_app: it works on the app itself).

The kept answer becomes the conversation's reply: the prompt and that answer
are stored in the history like any turn, through the one `TurnService`, from each
racer's own answer (the fold its column showed, so the store holds exactly what was seen). The other racers' answers
are stored as its siblings, so the branch switcher flips to them; a race of the
last prompt again (nothing typed) puts them beside that prompt's old answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.race import Lane, Race, RaceSpec
from rtchat.race.cost import paid_question
from rtchat.race.targets import MIN_TARGETS
from rtchat.ui.screens.race import RaceScreen
from rtchat.ui.widgets.race.figures import figure_lines
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage

if TYPE_CHECKING:
    from rtchat.ui.app import RtChatApp


def race_prompt(app: RtChatApp) -> tuple[str, Conversation] | None:
    """The text in the input (after the whole conversation), else the last prompt (after what preceded it)."""
    conversation = app.state.conversation
    typed = app.prompt.text.strip()
    if typed:
        return typed, conversation
    for index in range(len(conversation.messages) - 1, -1, -1):
        message = conversation.messages[index]
        if message.role == "user":
            return message.text, Conversation(list(conversation.messages[:index]), conversation.system)
    return None


def open_race(app: RtChatApp, specs: Sequence[RaceSpec] | None = None, prompt: str | None = None, confirmed: bool = False) -> None:
    """Race `prompt` (else the current one) over `specs` (else the current model over each of its protocols)."""
    from rtchat.ui.screens.confirm import ConfirmDialog

    if not app.turns.idle:
        app.notify("an answer is streaming: stop it (ctrl+c) before racing", severity="warning")
        return
    base = app.state.conversation
    if prompt is None:
        found = race_prompt(app)
        if found is None:
            app.notify("type a prompt first: the race sends the text in the input", severity="warning")
            return
        prompt, base = found
    if specs is None:
        target = app.state.target
        if target is None:
            app.notify("no model is selected yet", severity="warning")
            return
        specs = [RaceSpec(target.ref, protocol) for protocol in target.info.protocols]
    if len(specs) < MIN_TARGETS:
        app.notify(f"a race needs at least {MIN_TARGETS} targets; {specs[0].model} offers one protocol", severity="warning")
        return
    race = Race(app.session, specs, base, prompt, app.state.effort)
    app.prompt.clear()

    def push() -> None:
        app.push_screen(RaceScreen(race), lambda lane: app.run_worker(keep(app, race, lane), group="race-keep") if lane else None)

    question = paid_question(app.config, specs, prompt)
    if question is None or confirmed:
        push()
    else:
        app.push_screen(ConfirmDialog(f"{question} Race?", yes="Race"), lambda yes: push() if yes else None)


async def keep(app: RtChatApp, race: Race, lane: Lane) -> None:
    """The chosen answer becomes the reply: in the conversation, the history and the transcript.
    The other racers' answers are stored beside it as siblings (‹ › flips to them)."""
    turn = lane.turn
    assert turn is not None
    answer = turn.answer()
    message = answer.message()
    if message is None:
        return
    kept_id = store_race(app, race, lane) if app.history.store is not None else None
    if kept_id is not None:
        await app.history.select(kept_id)
    else:  # the history is off: the kept answer lives in memory only
        app.state.conversation.add_user(race.prompt)
        app.state.conversation.messages.append(message)
        await app.transcript.add(UserMessage(race.prompt))
        view = AssistantMessage(turn.target.ref, answer.text, thinking="".join(block.text for block in answer.thinking))
        view.mark(answer.status)
        await app.transcript.add(view)
    await app.transcript.show_notice(Notice(summary(race, lane)))
    app.transcript.jump_to_latest()


def store_race(app: RtChatApp, race: Race, kept: Lane) -> int | None:
    """Store the prompt (unless the race answered the last stored prompt again) and every
    racer's answer after it, as each column showed it; returns the kept one's id."""
    history = app.history
    target = kept.turn.target if kept.turn is not None else None
    assert target is not None
    answered_again = len(race.conversation.messages) < len(app.state.conversation.messages)
    parent = None
    if answered_again:
        try:
            parent = history.branch_point("regenerate").parent
        except LookupError:
            parent = None
    if parent is None:
        parent = history.service.prompt(race.prompt, target, kept.spec.protocol, app.state.conversation.system)
    if parent is None:
        return None
    kept_id = None
    for lane in race.lanes:
        if lane.turn is None or (lane is not kept and lane.turn.answer().message() is None):
            continue  # a racer that said nothing leaves no sibling
        answer_id = history.service.record(lane.turn, parent)
        if lane is kept:
            kept_id = answer_id
    return kept_id


def summary(race: Race, kept: Lane) -> str:
    """One line per racer, so the race's outcome stays readable in the transcript."""
    lines = [f"race of {len(race.lanes)}: kept {kept.spec.label}"]
    for lane in race.lanes:
        marks = "".join(mark for mark, on in ((" ★", lane.first_answer), (" ⚑", lane.first_finish)) if on)
        lines.append(f"{lane.spec.label}{marks}: " + figure_lines(lane.figures()).replace("\n", " · "))
    return "\n".join(lines)

"""The prompt queue and the one running turn: typed and spoken turns alike.

Turns never overlap and run in order: a new one stops the running one (which
keeps its partial answer) and waits on the turn slot, a lock released once that
answer is kept. Typed prompts queue up and a worker of the app serves them.

Branches: a regenerated answer goes beside the old one (same prompt), an edited
prompt beside the old prompt (same parent); both redraw the transcript up to
that point first, so what is on screen is what the turn sends.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from rtchat.attachments import Attachment
from rtchat.conversation import CHARS_PER_TOKEN, ChatMessage
from rtchat.events import Cost, Error, Notice, Usage
from rtchat.store import LEAF, Parent
from rtchat.session import Session
from rtchat.target import Target
from rtchat.turns.base import Turn, TurnPhase
from rtchat.turns.spoken import SpokenTurn
from rtchat.ui.choices import not_implemented_message
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.controllers.tools import ToolsController
from rtchat.ui.controllers.turn_runner import Observer, Timer, TurnRunner, UserWords
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage
from rtchat.ui.widgets.status.status_facts import duration
from rtchat.ui.widgets.transcript.tool_card import ToolCard
from rtchat.ui.widgets.transcript.transcript import Transcript

Every = Callable[[float, Callable[[], object]], Timer]  # a repeating timer on the app's loop


def calling_words(card: ToolCard | None) -> str | None:
    """The status line while a call is asked or runs: "allow time_now? y a n", "calling time_now · 1.2 s"."""
    if card is None:
        return None
    if card.state == "asking":
        return f"allow {card.call_name}? y a n" if card.has_focus else f"allow {card.call_name}? Esc, then y a n"
    return f"calling {card.call_name} · {duration(card.elapsed_ms)}"


def stopped_turn_estimate(turn: Turn, sent_tokens: int | None) -> tuple[Usage, Cost | None] | None:
    """A stopped turn whose server never sent its counts (most send them only at the end): the
    counts it did send, the rest estimated (`CHARS_PER_TOKEN`), and their price. None otherwise."""
    answer = turn.answer()
    usage = answer.usage or Usage()
    if answer.reason != "interrupted" or sent_tokens is None or (usage.input_tokens is not None and usage.output_tokens is not None):
        return None
    said = len(answer.text) + sum(len(block.text) for block in answer.thinking)
    estimated = replace(
        usage,
        input_tokens=usage.input_tokens if usage.input_tokens is not None else sent_tokens,
        output_tokens=usage.output_tokens if usage.output_tokens is not None else said // CHARS_PER_TOKEN,
    )
    price = turn.target.price
    return estimated, (price.cost(estimated) if price is not None else None)


class TurnController:
    def __init__(
        self,
        state: ChatState,
        session: Session,
        history: HistoryController,
        transcript: Transcript,
        status: StatusLine,
        every: Every,
        talk_key: str,
        tools: ToolsController | None = None,
    ) -> None:
        self.state = state
        self.tools = tools or ToolsController()  # no runner factory: no tools
        self.session = session
        self.history = history
        self.transcript = transcript
        self.status = status
        self._every = every
        self.talk_key = talk_key  # named in the "WebRTC carries voice" message
        self.protocol_key = "ctrl+n"  # named there too (a browser tab moves it: the chat screen sets it)
        self.runner: TurnRunner | None = None
        self.observers: list[Observer] = []  # anything else that must see every event as shown (the render benchmark)
        self._prompts: asyncio.Queue[tuple[str, list[Attachment], UserMessage | None, int | None]] = asyncio.Queue()  # text, files, its view, the prompt it edits
        self.editing: int | None = None  # the stored prompt the input's text will replace when sent
        self._taken = 0  # prompts taken off the queue and not yet answered
        self._slot = asyncio.Lock()
        self.now: Callable[[], float] = time.perf_counter  # the waiting indicator's clock; tests freeze it
        self._sent_tokens: int | None = None  # the running typed turn's estimated input, for a stop before the usage came

    @property
    def idle(self) -> bool:
        """Nothing is running and no prompt waits."""
        return self.runner is None and self._taken == 0 and self._prompts.empty()

    # --- typed prompts -------------------------------------------------------------------

    async def submit(self, text: str, attachments: list[Attachment] | None = None) -> None:
        """A new message while an answer streams interrupts it (kept, marked interrupted), then goes out.
        While a prompt is being edited (`editing`), it goes out as that prompt's new version."""
        self.cancel()
        self.status.begin_turn()  # at once: no figure of the last turn stays beside the new prompt
        files = list(attachments or [])
        edits, self.editing = self.editing, None
        said = None
        if edits is None:  # an edit is shown once the transcript is redrawn up to its branch point
            said = UserMessage(text, files)
            await self.transcript.add(said)
            self.transcript.jump_to_latest()
        self._prompts.put_nowait((text, files, said, edits))

    async def serve(self) -> None:
        """Answer queued prompts one at a time, in order, once a model is ready; runs for the app's life."""
        while True:
            text, files, said, edits = await self._prompts.get()
            self._taken += 1
            try:
                await self.state.ready.wait()
                await self.run_typed(text, files, said, edits)
            finally:
                self._taken -= 1

    async def _target_or_error(self, unshown: str | None = None) -> Target | None:
        """The model to answer with, else the reason in the transcript (after `unshown`, an
        edited prompt not on screen yet: the text the user sent is never lost)."""
        target = self.state.target
        problem = not_implemented_message(self.state.protocol, self.talk_key, self.protocol_key)
        if target is None or problem:
            if unshown is not None:
                await self.transcript.add(UserMessage(unshown))
            await self.transcript.show_error(Error("protocol", problem or "no model is selected"))
            return None
        return target

    async def run_typed(
        self, text: str, attachments: list[Attachment] | None = None, said: UserMessage | None = None, edits: int | None = None
    ) -> ChatMessage | None:
        async with self._exclusive():
            state = self.state
            target = await self._target_or_error(unshown=text if said is None else None)
            if target is None:
                return None
            parent: Parent = LEAF
            if edits is not None:
                try:
                    point = await self.history.branch_point("edit", edits)
                except LookupError as exc:
                    await self.transcript.show_notice(Notice(f"sent as a new prompt: {exc}"))
                else:
                    parent = point.parent
                    await self.history.show_before(point)
            if said is None:
                said = UserMessage(text, list(attachments or []))
                await self.transcript.add(said)
                self.transcript.jump_to_latest()
            state.conversation.add_user(text).attachments.extend(attachments or [])
            prompt_id = await self.history.service.prompt(text, target, state.protocol, state.conversation.system, attachments or [], parent=parent)
            await self.history.mark_branch(said, prompt_id)
            return await self._answer(target)

    async def regenerate(self, answer_id: int | None = None) -> ChatMessage | None:
        """Answer a prompt again (that of `answer_id`, else the last), with the current model,
        protocol and effort; the old answer stays as a sibling, reachable by the switcher."""
        async with self._exclusive():
            try:
                point = await self.history.branch_point("regenerate", answer_id)
            except LookupError as exc:
                await self.transcript.show_notice(Notice(str(exc)))
                return None
            target = await self._target_or_error()
            if target is None:
                return None
            await self.history.show_before(point)
            return await self._answer(target, parent=point.parent)

    async def _answer(self, target: Target, parent: Parent = LEAF) -> ChatMessage | None:
        """Stream the answer to the conversation as it stands (its last message is the prompt)."""
        state = self.state
        self.status.begin_turn()  # a typed turn: no figure of the turn before (spoken or typed) stays
        self._sent_tokens = state.conversation.estimated_tokens()  # what the prompt costs, if the server never says
        effort = self.session.effort_for(target, state.effort)[0]  # what the turn sends, for the thinking title
        tools = self.tools.runner_for(target, state.protocol)
        turn = self.session.turn(target, state.conversation, state.effort, protocol=state.protocol, tools=tools)
        self.status.watch_connection(self.session.connection_for(target, state.conversation, state.protocol))
        view = AssistantMessage(target.ref, streaming=True, effort=effort)
        await self.transcript.add(view)
        message = await self._drive(turn, view, parent=parent)
        if message is None and not view.text and view.thinking is None and view.reason == "error":
            await view.remove()  # the error says it all; an empty answer adds nothing
        return message

    # --- spoken exchanges ------------------------------------------------------------------

    async def run_spoken(self, spoken: SpokenTurn, protocol: str) -> ChatMessage | None:
        """Show, record and keep one spoken exchange, as `run_typed` does for a typed prompt."""
        async with self._exclusive():
            target = spoken.target
            said = UserMessage(spoken.placeholder)
            await self.transcript.add(said)
            self.transcript.jump_to_latest()
            prompt = spoken.conversation.add_user(spoken.placeholder)
            await self.history.service.prompt(spoken.placeholder, target, protocol, spoken.conversation.system)
            view = AssistantMessage(target.ref, streaming=True)
            await self.transcript.add(view)

            def heard(words: str) -> None:
                """What the user said replaces the placeholder, on screen and in the conversation."""
                said.set_text(words)
                prompt.text = words

            return await self._drive(spoken, view, heard)

    # --- the running turn ------------------------------------------------------------------

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        self.cancel()
        async with self._slot:
            yield

    async def _drive(
        self, turn: Turn, view: AssistantMessage, on_user_words: UserWords | None = None, parent: Parent = LEAF
    ) -> ChatMessage | None:
        service = self.history.service
        self.runner = TurnRunner(turn, view, self, self.observers, on_user_words)
        try:
            answer = await self.runner.run(service, parent)
        finally:
            self.runner = None
            sent, self._sent_tokens = self._sent_tokens, None
        if view.is_attached:
            await self.history.mark_branch(view, service.answer_id)
        self.show_cost(turn, sent)
        return answer.message()

    def show_cost(self, turn: Turn, sent_tokens: int | None = None) -> None:
        """The turn's cost, the conversation's running cost and how full its context is. A turn
        stopped before the server counted shows estimated counts and cost (marked ≈), not none."""
        answer = turn.answer()
        usage, cost = answer.usage, answer.cost
        estimate = stopped_turn_estimate(turn, sent_tokens)
        if estimate is not None:
            usage, cost = estimate
        facts = self.status.facts
        total = facts.total_usd
        if cost is not None:
            total = (total or 0.0) + cost.usd
        if estimate is not None:
            self.status.show(usage=usage, estimated=True, total_estimated=True)
        self.status.show(cost=cost, total_usd=total, waiting_s=None, calling=None)
        self.show_tools(turn)
        self.show_context(usage)

    def show_context(self, usage=None) -> None:
        """Tokens in the conversation (the last turn's count, else an estimate) against the model's window."""
        target = self.state.target
        tokens = None
        if usage is not None and (usage.input_tokens or usage.output_tokens):
            tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
        elif self.state.conversation.messages:
            tokens = self.state.conversation.estimated_tokens()
        self.status.show(context_tokens=tokens, context_window=target.info.context_window if target else None)

    def cancel(self) -> bool:
        """Stop the running answer at once (it is kept); False when nothing runs."""
        if self.runner is None:
            return False
        self.runner.turn.cancel()
        if self.runner.turn.state is TurnPhase.STOPPING:
            self.runner.view.mark("interrupted")  # said now, not once the queued text is dropped
        return True

    async def stop(self) -> None:
        """Drop queued prompts and stop the running answer, returning once it is kept."""
        while not self._prompts.empty():
            self._prompts.get_nowait()
        async with self._exclusive():
            pass

    # --- TurnHost: what the runner shows around the answer ---------------------------------

    def every(self, seconds: float, callback: Callable[[], object]) -> Timer:
        return self._every(seconds, callback)

    async def show_error(self, error: Error) -> None:
        await self.transcript.show_error(error)

    async def show_notice(self, notice: Notice) -> None:
        await self.transcript.show_notice(notice)

    def tool_card_shown(self, card: ToolCard) -> None:
        self.tools.approver.card_shown(card)

    def tool_finished(self, turn: Turn) -> None:
        self.show_tools(turn)

    def show_tools(self, turn: Turn) -> None:
        """"tools 2 · 340 ms": the results of this answer so far and the tools' own time."""
        answer = turn.answer()
        self.status.show(tool_count=len(answer.tool_results), tool_ms=answer.tool_time_ms)

    def turn_progress(self, state: str, turn: Turn) -> None:
        if self.status.facts.state != state:
            self.status.show(state=state)
            self.show_figures(turn)

    def show_figures(self, turn: Turn | None = None) -> bool:
        """The running turn's figures on the status line; False when no turn runs."""
        runner = self.runner
        if runner is None or (turn is not None and runner.turn is not turn):
            return False
        stats = runner.turn.stats()
        self.status.show_clock(stats)
        waiting = None if stats.ttft_ms is not None else self.now() - stats.started
        self.status.show(waiting_s=waiting, calling=calling_words(runner.view.active_card()))
        runner.view.show_waiting(waiting)
        return True

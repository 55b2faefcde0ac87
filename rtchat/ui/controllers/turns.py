"""The prompt queue and the one running turn: typed and spoken turns alike.

Turns never overlap and run in order: a new one stops the running one (which
keeps its partial answer) and waits on the turn slot, a lock released once that
answer is kept. Typed prompts queue up and a worker of the app serves them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from rtchat.conversation import ChatMessage
from rtchat.events import Error, Notice
from rtchat.session import Session
from rtchat.target import Target
from rtchat.turns.base import Turn
from rtchat.turns.spoken import SpokenTurn
from rtchat.ui.choices import not_implemented_message
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.controllers.turn_runner import Observer, Timer, TurnRunner, UserWords
from rtchat.ui.widgets.status.status_line import StatusLine
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage
from rtchat.ui.widgets.transcript.transcript import Transcript

Every = Callable[[float, Callable[[], object]], Timer]  # a repeating timer on the app's loop


class TurnController:
    def __init__(
        self, state: ChatState, session: Session, history: HistoryController, transcript: Transcript, status: StatusLine, every: Every, talk_key: str
    ) -> None:
        self.state = state
        self.session = session
        self.history = history
        self.transcript = transcript
        self.status = status
        self._every = every
        self.talk_key = talk_key  # named in the "WebRTC carries voice" message
        self.runner: TurnRunner | None = None
        self.observers: list[Observer] = [history.observe]  # every consumer of every turn event; the store first
        self._prompts: asyncio.Queue[str] = asyncio.Queue()
        self._taken = 0  # prompts taken off the queue and not yet answered
        self._slot = asyncio.Lock()
        self.now: Callable[[], float] = time.perf_counter  # the waiting indicator's clock; tests freeze it

    @property
    def idle(self) -> bool:
        """Nothing is running and no prompt waits."""
        return self.runner is None and self._taken == 0 and self._prompts.empty()

    # --- typed prompts -------------------------------------------------------------------

    async def submit(self, text: str) -> None:
        """A new message while an answer streams interrupts it (kept, marked interrupted), then goes out."""
        self.cancel()
        await self.transcript.add(UserMessage(text))
        self.transcript.jump_to_latest()
        self._prompts.put_nowait(text)

    async def serve(self) -> None:
        """Answer queued prompts one at a time, in order, once a model is ready; runs for the app's life."""
        while True:
            text = await self._prompts.get()
            self._taken += 1
            try:
                await self.state.ready.wait()
                await self.run_typed(text)
            finally:
                self._taken -= 1

    async def run_typed(self, text: str) -> ChatMessage | None:
        async with self._exclusive():
            state = self.state
            target = state.target
            problem = not_implemented_message(state.protocol, self.talk_key)
            if target is None or problem:
                await self.transcript.show_error(Error("protocol", problem or "no model is selected"))
                return None
            state.conversation.add_user(text)
            self.status.show(first_audio_ms=None)  # a typed turn: no spoken figure stays from before
            self.history.record_prompt(text, target.ref, state.protocol)
            effort = self.session.effort_for(target, state.effort)[0]  # what the turn sends, for the thinking title
            turn = self.session.turn(target, state.conversation, state.effort, protocol=state.protocol)
            self.status.watch_connection(turn.connection)
            view = AssistantMessage(target.ref, streaming=True, effort=effort)
            await self.transcript.add(view)
            message = await self._drive(turn, view, target)
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
            self.history.record_prompt(spoken.placeholder, target.ref, protocol)
            view = AssistantMessage(target.ref, streaming=True)
            await self.transcript.add(view)

            def heard(words: str) -> None:
                """What the user said replaces the placeholder, on screen and in the conversation."""
                said.set_text(words)
                prompt.text = words

            return await self._drive(spoken, view, target, heard)

    # --- the running turn ------------------------------------------------------------------

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        self.cancel()
        async with self._slot:
            yield

    async def _drive(self, turn: Turn, view: AssistantMessage, target: Target, on_user_words: UserWords | None = None) -> ChatMessage | None:
        conversation = turn.conversation
        self.history.begin_answer(target)
        self.runner = TurnRunner(turn, view, self, self.observers, on_user_words)
        try:
            message = await self.runner.run()
        finally:
            self.runner = None
            self.history.end_answer()
        await self.history.keep_only_answered(message is not None)
        if message is None:
            conversation.messages.pop()  # no answer: the next prompt must not follow a dangling one
        else:
            conversation.messages.append(message)
        self.show_cost(turn)
        return message

    def show_cost(self, turn: Turn) -> None:
        """The turn's cost, the conversation's running cost and how full its context is."""
        answer = turn.answer.answer()
        facts = self.status.facts
        total = facts.total_usd
        if answer.cost is not None:
            total = (total or 0.0) + answer.cost.usd
        self.status.show(cost=answer.cost, total_usd=total, waiting_s=None)
        self.show_context(answer.usage)

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
        if self.runner.turn.cancel_requested_at is not None:
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

    def turn_progress(self, state: str, turn: Turn) -> None:
        if self.status.facts.state != state:
            self.status.show(state=state)
            self.show_figures(turn)

    def show_figures(self, turn: Turn | None = None) -> bool:
        """The running turn's figures on the status line; False when no turn runs."""
        runner = self.runner
        if runner is None or (turn is not None and runner.turn is not turn):
            return False
        clock = runner.turn.clock
        self.status.show_clock(clock)
        waiting = None if clock.ttft_ms is not None else self.now() - clock.started
        self.status.show(waiting_s=waiting)
        runner.view.show_waiting(waiting)
        return True

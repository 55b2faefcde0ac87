"""Running a turn and recording it: the one way, for `ask`, the app and the race.

Why one place: the prompt must be committed before its request leaves, the
answer must stream into the history from the turn's own `Answer` (the one fold
the screen and the next request read too), and a conversation whose first turn
got no answer must not be left in the history. Doing that three times is how the
three drifted; here it is done once, and the callers only show the events.

SQLite never runs on the event loop: the prompt's commit and the answer row's
insert wait on a thread (a file another program holds locked delays the history,
never a keystroke); answer writes go to the store's writer thread and never wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from rtchat.answer import Answer
from rtchat.attachments import Attachment
from rtchat.events import Done, Event, ToolCallRequest, ToolCallResult
from rtchat.history import TurnRecorder
from rtchat.store import LEAF, Parent
from rtchat.target import Target
from rtchat.turns.base import Turn

Show = Callable[[Event], Awaitable[None] | None]  # what a caller does with each event it is handed


class TurnService:
    """Records prompts and runs turns into the history through one `TurnRecorder`."""

    def __init__(self, recorder: TurnRecorder) -> None:
        self.recorder = recorder
        self._fresh: int | None = None  # the stored conversation the latest prompt created
        self.answer_id: int | None = None  # the stored row of the latest answer run (None: history off)

    async def prompt(self, text: str, target: Target, protocol: str, system: str | None, attachments: Sequence[Attachment] = (), parent: Parent = LEAF) -> int | None:
        """Commit a prompt before its request leaves (creating the stored conversation on the
        first one); after `parent` it starts a branch (an edited prompt). Returns its stored id."""
        recorder = self.recorder
        self._fresh = None

        def commit() -> int | None:
            if recorder.conversation_id is None:
                recorder.start(target.ref, protocol, system)
                self._fresh = recorder.conversation_id
            recorder.prompt(text, attachments, parent=parent)
            return recorder.last_prompt_id

        return await asyncio.to_thread(commit)

    async def run(self, turn: Turn, show: Show, parent: Parent = LEAF) -> Answer:
        """Stream `turn` to its end, handing every event to `show` and the turn's answer to the
        history; the turn's conversation then holds its answer (or loses the unanswered prompt)."""
        recorder = self.recorder
        await asyncio.to_thread(recorder.begin_answer, turn.target.ref, turn.target.provider.id, parent)
        self.answer_id = recorder.last_answer_id
        try:
            async for event in turn.events():
                recorder.update(turn.answer, final=isinstance(event, Done), step=isinstance(event, (ToolCallRequest, ToolCallResult)))
                shown = show(event)
                if shown is not None:
                    await shown
        finally:
            recorder.end_answer()
        answer = turn.answer()
        message = answer.message()
        # A turn stopped at its first tool call has no words, but the user saw (and maybe ran) it.
        await self._forget_unanswered(message is not None or bool(answer.tool_calls))
        messages = turn.conversation.messages
        if message is not None:
            messages.append(message)
        elif messages and messages[-1].role == "user":
            messages.pop()  # no answer: the next prompt must not follow a dangling one
        return answer

    async def record(self, turn: Turn, parent: Parent) -> int | None:
        """Store an ended turn's answer after `parent` (a race's racers); returns its row id."""
        recorder = self.recorder
        self._fresh = None  # the conversation has an answer now: a later unanswered turn keeps it
        await asyncio.to_thread(recorder.begin_answer, turn.target.ref, turn.target.provider.id, parent)
        recorder.update(turn.answer, final=True)
        recorder.end_answer()
        return recorder.last_answer_id

    async def _forget_unanswered(self, answered: bool) -> None:
        """A conversation whose first turn got no answer (no key, a refused protocol, an
        unreachable URL) is not kept: a list of "hi · 2 msgs" helps nobody."""
        fresh, self._fresh = self._fresh, None
        recorder = self.recorder
        if answered or fresh is None or fresh != recorder.conversation_id:
            return
        recorder.conversation_id = None
        await asyncio.to_thread(recorder.discard, fresh)  # waits for the answer's last write

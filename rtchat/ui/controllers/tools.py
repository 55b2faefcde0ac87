"""The app's approver: every tool call is put to the user on its card in the transcript.

`decide(request)` is awaited by the turn's tool runner (in the turn's task): it finds the
card of that call (it may not be on screen yet, as the screen draws the turn's events a
little behind the turn), asks there and waits for the user's key, which the card posts
as `ToolCard.Decided` and the chat screen hands to `answered`. Calls are asked one at a
time, in order. Ctrl-C cancels the turn's task, so the wait ends with it and the card
says "cancelled". Only a key on an asking card decides: no text a model or a tool sends,
and nothing typed in the prompt input, can.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rtchat.config import ConfigError
from rtchat.session import SaveAlways, Session
from rtchat.target import Target
from rtchat.tools.approval import ConversationTools, Decision, ToolRequest
from rtchat.tools.registry import DEMO_SERVER
from rtchat.turns.tool_steps import ToolRunner
from rtchat.ui.widgets.transcript.tool_card import ToolCard

if TYPE_CHECKING:
    from rtchat.tools.registry import ServerStatus


class AppApprover:
    """Implements `rtchat.tools.approval.Approver` with the transcript's tool cards."""

    def __init__(self, save_always: SaveAlways | None = None) -> None:
        self.save_always = save_always
        self._cards: dict[str, ToolCard] = {}  # this turn's cards by call id
        self._card_wanted: dict[str, asyncio.Future[ToolCard]] = {}
        self._answers: dict[str, asyncio.Future[Decision]] = {}
        self._one_at_a_time = asyncio.Lock()
        self.asked: list[str] = []  # call ids asked this session, in order (what the user was shown)
        self.typing: Callable[[], bool] = lambda: False  # the user is writing in the input: a card does not take the keys
        self.can_save: Callable[[str], bool] = lambda server: save_always is not None  # the config holds this server

    def begin_turn(self) -> None:
        """A new answer: call ids of earlier answers (the loopback's repeat) name other cards."""
        self._cards.clear()
        for wanted in self._card_wanted.values():
            wanted.cancel()
        self._card_wanted.clear()

    def card_shown(self, card: ToolCard) -> None:
        """The runner put `card` on screen (or learnt its id): a question waiting for it can be asked."""
        if not card.call_id:
            return
        self._cards[card.call_id] = card
        wanted = self._card_wanted.pop(card.call_id, None)
        if wanted is not None and not wanted.done():
            wanted.set_result(card)

    @property
    def asking(self) -> bool:
        return bool(self._answers)

    async def decide(self, request: ToolRequest) -> Decision:
        async with self._one_at_a_time:
            card = await self._card(request.call.id)
            answer: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
            self._answers[request.call.id] = answer
            self.asked.append(request.call.id)
            card.ask(request.server, request.tool, request.call.arguments, take_focus=not self.typing())
            try:
                decision = await answer
            except asyncio.CancelledError:
                card.cancel()  # Ctrl-C: the turn stops here, the card says so
                raise
            finally:
                self._answers.pop(request.call.id, None)
            card.decided(decision, can_save=request.server is not None and self.can_save(request.server))
            return decision

    async def _card(self, call_id: str) -> ToolCard:
        card = self._cards.get(call_id)
        if card is not None:
            return card
        wanted = self._card_wanted.get(call_id)
        if wanted is None:
            wanted = self._card_wanted[call_id] = asyncio.get_running_loop().create_future()
        return await wanted

    def answered(self, call_id: str, decision: Decision) -> bool:
        """A card's key: the decision for the call it asks about (False when nothing asks about it)."""
        answer = self._answers.get(call_id)
        if answer is None or answer.done():
            return False
        answer.set_result(decision)
        return True

    def save(self, server: str, tool: str) -> str:
        """`a` again on a card: "always allow" goes into the config; the line to tell the user."""
        if self.save_always is None:
            return "there is no config file to save to in this session"
        try:
            self.save_always(server, tool)
        except (LookupError, OSError, ConfigError) as exc:
            return f"not saved: {exc}"
        return f"{server}/{tool}: always allowed, saved to [mcp.servers.{server}] always_allow"


RunnerFactory = Callable[[Target, str, ConversationTools, AppApprover], ToolRunner | None]


class ToolsController:
    """The conversation's tool choices, the runner each turn gets from them, and the servers' list.

    The choices (`ConversationTools`: which servers and tools are on, which run without
    asking) live as long as the conversation on screen; a new or reopened conversation
    starts from the defaults. `make_runner` builds one turn's runner (the session's
    registry, this approver, these choices); None: no tools this turn."""

    def __init__(self, session: Session | None = None, config_path: Path | None = None) -> None:
        self.session = session
        self.config_path = config_path
        self.approver = AppApprover(self._save_always if config_path is not None else None)
        if session is not None and config_path is not None:
            self.approver.can_save = lambda server: server in session.config.mcp_servers  # rtchat's demo server has no table
        self.choices = ConversationTools()
        self.make_runner: RunnerFactory | None = self._session_runner if session is not None else None

    def reset(self) -> None:
        """Another conversation: its own choices, from the defaults."""
        self.choices = ConversationTools()

    def runner_for(self, target: Target, protocol: str) -> ToolRunner | None:
        """The tools of a turn (None: the request offers none, and carries no tools field)."""
        if self.make_runner is None or self.choices.off:
            return None
        self.approver.begin_turn()
        return self.make_runner(target, protocol, self.choices, self.approver)

    def _session_runner(self, target: Target, protocol: str, choices: ConversationTools, approver: AppApprover) -> ToolRunner | None:
        assert self.session is not None
        return self.session.tool_runner(target, protocol, approver, choices, self.approver.save_always)

    def _save_always(self, server: str, tool: str) -> None:
        from rtchat.config import save_always_allow  # deferred with tomlkit: only when the user saves

        assert self.config_path is not None
        save_always_allow(self.config_path, server, tool)

    async def prestart(self, target: Target, protocol: str, notify: Callable[[str], None]) -> None:
        """The model was picked: when it is `loopback/tools`, rtchat's demo server starts now (a
        Python process: seconds on a loaded machine), so the first tool turn does not wait for
        it. The user's own servers still start with the first turn that offers them: picking a
        model starts no process of theirs. A failure is the usual one line, through `notify`."""
        if self.session is None or self.choices.off:
            return
        names = [name for name in self.session.tool_servers(target, protocol, self.choices) if name == DEMO_SERVER and name not in self.session.config.mcp_servers]
        if names:
            await self.session.tool_registry().start(names, notify)

    async def servers(self, target: Target, notify: Callable[[str], None]) -> list[ServerStatus]:
        """The servers the model's provider may use, started (in parallel, each with its deadline)
        so their tools can be listed; a server that fails says why in its status."""
        if self.session is None:
            return []
        registry = self.session.tool_registry()
        names = self.session.tool_servers(target, "sse", ConversationTools())  # every server the model may use
        await registry.start(names, notify)
        return [status for status in registry.status() if status.name in names]

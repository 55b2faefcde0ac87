"""The conversation's system prompt: set, cleared, from a persona, kept in the history.

The prompt lives on the conversation (`Conversation.system`), which every wire
sends in its own field; this controller changes it and writes it to the stored
conversation, so it comes back when the conversation is reopened.
"""

from __future__ import annotations

import asyncio

from rtchat.config import Config, ConfigError, Persona, load_config
from rtchat.store import StoreError
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.state import ChatState


class SystemPrompt:
    def __init__(self, state: ChatState, history: HistoryController, config: Config) -> None:
        self.state = state
        self.history = history
        self.config = config
        self.persona: str | None = None  # the persona the prompt came from, while unchanged
        self.personas = dict(config.personas)  # as the config file last said (`reload`)

    @property
    def text(self) -> str | None:
        return self.state.conversation.system

    async def set(self, text: str | None, persona: str | None = None) -> str | None:
        """Use `text` from the next turn on; the one line that says storing it failed, else None.
        The store's write runs on a thread: a locked history file never holds up the screen."""
        system = text.strip() if text and text.strip() else None
        self.state.conversation.system = system
        self.persona = persona if system else None
        store, conversation_id = self.history.store, self.history.conversation_id
        if store is None or conversation_id is None:
            return None  # a conversation is stored with its system prompt on its first prompt
        try:
            await asyncio.to_thread(store.set_system, conversation_id, system)
        except StoreError as exc:
            return f"the system prompt is used but could not be saved: {exc}"
        return None

    async def reload(self) -> str | None:
        """Read the config file's personas again (one added while the app runs is known at once);
        the one line saying why they were kept as they were, else None. Read on a thread."""
        try:
            config = await asyncio.to_thread(load_config, self.config.path)
        except ConfigError as exc:
            return f"personas not re-read: {exc}"
        self.personas = dict(config.personas)
        return None

    def loaded(self) -> str:
        """The one line saying what the config file holds, after a `reload`."""
        names = ", ".join(self.names())
        return f"personas in {self.config.path}: {names}" if names else f"no personas in {self.config.path}: add [personas.NAME] (prompt, model, effort)"

    def names(self) -> list[str]:
        return sorted(self.personas)

    def find(self, name: str) -> Persona | str:
        """The persona called `name`, or the one line saying which exist."""
        persona = self.personas.get(name.strip())
        if persona is not None:
            return persona
        known = ", ".join(self.names()) or "none yet: add [personas.NAME] to the config"
        return f"no persona named {name.strip()!r} (known: {known})"

    def forget_persona(self) -> None:
        """A new or reopened conversation: its prompt is its own."""
        self.persona = None

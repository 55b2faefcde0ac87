"""Asking the user before a tool call runs: the decision, who asks, and what a conversation remembers.

The approver is the only way a call gets to run: the app asks with a card in the transcript,
`rtchat ask` on the terminal (or by its `--approve-tools` flag), and with no way to ask the
call is denied. A model's or a tool's words never reach a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from rtchat.conversation import ToolCall


class Decision(StrEnum):
    """What the user chose for one call."""

    ONCE = "once"  # y: run this call
    ALWAYS = "always"  # a: run this tool without asking for the rest of this conversation
    SAVE = "save"  # a twice: and remember it in the config (`always_allow` of its server)
    DENY = "deny"  # n: do not run it; the model is told the user declined


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """One call put to the user: the call as the model sent it, and whose tool it is."""

    call: ToolCall
    server: str | None  # None: no server offers a tool of that name (the call is refused, not asked)
    tool: str  # the server's own name for the tool
    description: str = ""


class Approver(Protocol):
    """Who decides; awaited while the turn waits (Ctrl-C cancels the wait and the turn)."""

    async def decide(self, request: ToolRequest) -> Decision: ...


@dataclass(slots=True)
class ConversationTools:
    """Per conversation: which servers and tools are offered, and which tools run without asking.

    Lives as long as the conversation on screen (or one `rtchat ask` run); each turn's runner
    reads it, so an "always" given in one turn holds for the next."""

    servers: set[str] | None = None  # None: every enabled server; an empty set: no tools at all
    disabled_tools: set[str] = field(default_factory=set)  # offered names switched off in /tools
    always: set[str] = field(default_factory=set)  # "server/tool" allowed without asking

    @property
    def off(self) -> bool:
        return self.servers is not None and not self.servers

"""A turn that cannot run (a protocol the model does not offer, an unknown protocol): it ends at
once with one clear line, and nothing is sent; never a silent fallback to another protocol."""

from __future__ import annotations

from rtchat.conversation import Conversation
from rtchat.events import Done, Error, ErrorKind, Notice
from rtchat.target import Target
from rtchat.turns.base import QueuedTurn


class RefusedTurn(QueuedTurn):
    def __init__(self, target: Target, conversation: Conversation, effort: str | None, notices: list[Notice], message: str, protocol: str) -> None:
        super().__init__(target, conversation, effort, notices)
        self.protocol = protocol
        self.message = message

    async def _produce(self) -> None:
        self.finish(Error(ErrorKind.UNAVAILABLE, self.message), Done("error"))

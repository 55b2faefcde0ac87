"""What the next turn goes out with: the conversation and the chosen model, effort and protocol.

One small object shared (passed in, never looked up) by the controllers, because
switching conversation or model changes what every one of them works on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from rtchat.conversation import Conversation
from rtchat.target import Target


@dataclass
class ChatState:
    conversation: Conversation = field(default_factory=Conversation)
    target: Target | None = None
    effort: str | None = None  # None: the model's own default, shown as "auto"
    protocol: str = "sse"
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # clear while a model is being resolved

    @property
    def ref(self) -> str:
        return self.target.ref if self.target is not None else ""

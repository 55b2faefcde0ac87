"""A provider-neutral conversation: what each wire format converts to its own request shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rtchat.attachments import Attachment

Role = Literal["user", "assistant"]


def has_words(text: str) -> bool:
    """Whether an answer says anything: providers reject empty (or blank) turns, so those are not sent back."""
    return bool(text.strip())


@dataclass(slots=True)
class ThinkingBlock:
    """One reasoning block of an assistant answer, with what is needed to send it back."""

    text: str = ""
    signature: str | None = None  # Anthropic: required to send the block back
    redacted: str | None = None  # Anthropic redacted_thinking data (opaque)
    provider: str | None = None  # who produced it: blocks go back only to the same provider


@dataclass(slots=True)
class ChatMessage:
    role: Role
    text: str
    thinking: list[ThinkingBlock] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)  # files sent with a user message


@dataclass(slots=True)
class Conversation:
    """The turns so far plus an optional system prompt."""

    messages: list[ChatMessage] = field(default_factory=list)
    system: str | None = None

    def add_user(self, text: str) -> ChatMessage:
        message = ChatMessage("user", text)
        self.messages.append(message)
        return message

    def estimated_tokens(self) -> int:
        """Roughly how many tokens this conversation is (4 characters a token, as tokenizers average
        for English), for warnings before a request; the provider's own count replaces it once known."""
        characters = len(self.system or "") + sum(len(m.text) + sum(len(b.text) for b in m.thinking) for m in self.messages)
        return characters // CHARS_PER_TOKEN + 4 * len(self.messages)


CHARS_PER_TOKEN = 4  # the one token estimate (context warnings, bench and race cost questions)

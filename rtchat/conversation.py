"""A provider-neutral conversation: what each wire format converts to its own request shape."""

from __future__ import annotations

import json
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


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model: its (namespaced) name, what it does, its JSON Schema.

    Each wire sends it in its own shape (and Gemini in the schema subset it accepts)."""

    name: str
    description: str = ""
    parameters: dict = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(slots=True)
class ToolCall:
    """A tool call the model made: `arguments` exactly as it sent them (never re-serialised);
    `extra` is what its provider needs back on the same call (Gemini's `thought_signature`,
    a Responses item `id`)."""

    id: str = ""
    name: str = ""
    arguments: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    provider: str | None = None  # who made it: signatures go back only to their maker

    def parsed(self) -> dict | None:
        """The arguments as a JSON object (empty text is `{}`); None when they are not one."""
        if not self.arguments.strip():
            return {}
        try:
            value = json.loads(self.arguments)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None


@dataclass(slots=True)
class ToolResult:
    """What went back to the model for one call (`call_id`): the text sent, whether it is an
    error, and how it ended (ok, error, denied by the user, cancelled, timed out, unknown tool)."""

    call_id: str
    name: str
    output: str
    is_error: bool = False
    status: str = "ok"
    ms: float | None = None
    server: str | None = None
    images: list[Attachment] = field(default_factory=list)  # a tool's images, sent with `output` to a model that reads images


@dataclass(slots=True)
class ToolRound:
    """One step of an answer that called tools: what the model said, then what came back.

    Sent back in this order (thinking, text, calls; then the results), the order every
    provider emits them in: Anthropic's thinking/text/tool_use blocks, Gemini's parts,
    Responses' reasoning, message and function_call items."""

    thinking: list[ThinkingBlock] = field(default_factory=list)
    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)


@dataclass(slots=True)
class ChatMessage:
    role: Role
    text: str
    thinking: list[ThinkingBlock] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)  # files sent with a user message
    rounds: list[ToolRound] = field(default_factory=list)  # an assistant answer's tool steps, before its `thinking` and `text`


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
        characters = len(self.system or "") + sum(len(m.text) + sum(len(b.text) for b in m.thinking) + sum(_round_chars(r) for r in m.rounds) for m in self.messages)
        return characters // CHARS_PER_TOKEN + 4 * len(self.messages)


CHARS_PER_TOKEN = 4  # the one token estimate (context warnings, bench and race cost questions)


def _round_chars(step: ToolRound) -> int:
    return len(step.text) + sum(len(b.text) for b in step.thinking) + sum(len(c.arguments) for c in step.calls) + sum(len(r.output) for r in step.results)

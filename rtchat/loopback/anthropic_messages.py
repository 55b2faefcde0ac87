"""Anthropic Messages (`POST /v1/messages`): named SSE events, signed thinking blocks.

Thinking signatures are an HMAC of the thinking text under a fixed secret, so a
client that edits or forges thinking it sends back gets the real API's 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .body_wire import BodyNamedModel
from .pacing import sse
from .scripts import Conversation, Message, Script, Usage, decoded_size, redacted_is_valid

if TYPE_CHECKING:
    from .exchange import Exchange

SIGNING_SECRET = b"rtchat-loopback-thinking-signature-v1"
MIN_THINKING_BUDGET = 1024

STOP_REASON = {"complete": "end_turn", "length": "max_tokens", "refusal": "refusal"}

ERROR_TYPES = {
    "bad_request": "invalid_request_error",
    "auth": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "rate_limit": "rate_limit_error",
    "server": "api_error",
    "overloaded": "overloaded_error",
}


def sign_thinking(thinking: str, position: int = 0) -> str:
    """The signature the loopback gives (and expects back on) a thinking block.

    It binds the text and the block's place in its message: an edited, merged,
    reordered or unsigned block gets the real API's 400."""
    digest = hmac.new(SIGNING_SECRET, f"{position}:{thinking}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(thinking: Any, signature: Any, position: int = 0) -> bool:
    if not isinstance(thinking, str) or not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign_thinking(thinking, position), signature)


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": ERROR_TYPES.get(kind, "api_error"), "message": message}}


def model_list(models: dict[str, str]) -> dict[str, Any]:
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": "2025-01-01T00:00:00Z"}
        for name in models
    ]
    return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}


def blocks_text(content: Any) -> str:
    """The visible text of a string or a list of content blocks (thinking excluded)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            block.get("text", "") for block in content if isinstance(block, dict) and block.get("type") == "text"
        )
    return ""


def block_files(content: Any) -> tuple[tuple[str, int], ...]:
    """(media type, bytes) of base64 image and document blocks."""
    if not isinstance(content, list):
        return ()
    sources = [block.get("source") for block in content if isinstance(block, dict) and block.get("type") in ("image", "document")]
    return tuple((s.get("media_type", ""), decoded_size(s.get("data", ""))) for s in sources if isinstance(s, dict) and s.get("type") == "base64")


def usage_json(usage: Usage) -> dict[str, Any]:
    """Anthropic counts cache reads apart from `input_tokens`."""
    return {
        "input_tokens": usage.input_tokens - usage.cached_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
    }


def register(app: web.Application, exchange: Exchange) -> None:
    app.router.add_post("/v1/messages", exchange.handler(AnthropicMessages()))


class AnthropicMessages(BodyNamedModel):
    name = "anthropic"

    def wants_thinking(self, body: dict) -> bool:
        thinking = body.get("thinking")
        return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")

    def validate(self, body: dict) -> tuple[str, str] | None:
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            return "bad_request", "max_tokens: Field required (a positive integer)"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "bad_request", "messages: at least one message is required"
        problem = self._check_thinking(body.get("thinking"), max_tokens)
        return problem or self._check_signatures(messages)

    def _check_thinking(self, thinking: Any, max_tokens: int) -> tuple[str, str] | None:
        if thinking is None:
            return None
        if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled", "adaptive"):
            return "bad_request", "thinking: type must be one of 'enabled', 'disabled', 'adaptive'"
        if thinking["type"] != "enabled":
            return None
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < MIN_THINKING_BUDGET:
            return "bad_request", (
                f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}"
            )
        if budget >= max_tokens:
            return "bad_request", "`max_tokens` must be greater than `thinking.budget_tokens`"
        return None

    def _check_signatures(self, messages: list) -> tuple[str, str] | None:
        for m, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") != "assistant":
                continue
            content = message.get("content")
            for b, block in enumerate(content if isinstance(content, list) else []):
                kind = block.get("type") if isinstance(block, dict) else None
                if kind == "thinking" and not signature_is_valid(block.get("thinking"), block.get("signature"), b):
                    return "bad_request", f"messages.{m}.content.{b}: Invalid `signature` in `thinking` block"
                if kind == "redacted_thinking" and not redacted_is_valid(block.get("data"), b):
                    return "bad_request", f"messages.{m}.content.{b}: Invalid `data` in `redacted_thinking` block"
        return None

    def conversation(self, body: dict) -> Conversation:
        messages = tuple(
            Message(message["role"], blocks_text(message.get("content")), block_files(message.get("content")))
            for message in body.get("messages", [])
            if isinstance(message, dict) and message.get("role") in ("user", "assistant")
        )
        return Conversation(blocks_text(body.get("system")), messages)

    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return error_body(kind, message)

    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> MessagesStream:
        return MessagesStream(model, script, usage)

    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if script.redacted and not script.thinking_after:
            content.append({"type": "redacted_thinking", "data": script.redacted})
        if script.thinking:
            content.append({"type": "thinking", "thinking": script.thinking, "signature": sign_thinking(script.thinking, len(content))})
        if script.thinking_after:
            content.append({"type": "redacted_thinking", "data": script.redacted})
            content.append({"type": "thinking", "thinking": script.thinking_after, "signature": sign_thinking(script.thinking_after, len(content))})
        content.append({"type": "text", "text": script.text})
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": STOP_REASON[script.stop],
            "stop_sequence": None,
            "usage": usage_json(usage),
        }


class MessagesStream:
    """The named events of one streamed message; opens and closes content blocks as kinds change."""

    def __init__(self, model: str, script: Script, input_usage: Usage):
        self.model = model
        self.script = script
        self.input_usage = input_usage
        self.index = -1
        self.block: str | None = None  # "thinking" | "text" while a block is open
        self.block_text = ""  # the open thinking block's text, which its signature covers
        self.sent = 0  # parts sent so far (the redacted block stands at `script.block_break`)

    def _event(self, name: str, **fields: Any) -> str:
        return sse({"type": name, **fields}, event=name)

    def opening(self) -> list[str]:
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage_json(self.input_usage), "output_tokens": 1},
        }
        frames = [self._event("message_start", message=message), self._event("ping")]
        if self.script.redacted and self.script.block_break is None:
            self.index += 1
            block = {"type": "redacted_thinking", "data": self.script.redacted}
            frames.append(self._event("content_block_start", index=self.index, content_block=block))
            frames.append(self._event("content_block_stop", index=self.index))
        return frames

    def token(self, kind: str, piece: str) -> list[str]:
        block = "thinking" if kind == "thinking" else "text"
        frames = []
        if self.sent == self.script.block_break:
            frames += self._close() + self._redacted_block()
        self.sent += 1
        if block != self.block:
            frames += self._close() + self._open(block)
        if block == "thinking":
            self.block_text += piece
            delta = {"type": "thinking_delta", "thinking": piece}
        else:
            delta = {"type": "text_delta", "text": piece}
        frames.append(self._event("content_block_delta", index=self.index, delta=delta))
        return frames

    def _redacted_block(self) -> list[str]:
        self.index += 1
        block = {"type": "redacted_thinking", "data": self.script.redacted}
        return [self._event("content_block_start", index=self.index, content_block=block), self._event("content_block_stop", index=self.index)]

    def _open(self, block: str) -> list[str]:
        self.index += 1
        self.block = block
        self.block_text = ""
        if block == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
        else:
            start = {"type": "text", "text": ""}
        return [self._event("content_block_start", index=self.index, content_block=start)]

    def _close(self) -> list[str]:
        if self.block is None:
            return []
        frames = []
        if self.block == "thinking":
            delta = {"type": "signature_delta", "signature": sign_thinking(self.block_text, self.index)}
            frames.append(self._event("content_block_delta", index=self.index, delta=delta))
        frames.append(self._event("content_block_stop", index=self.index))
        self.block = None
        return frames

    def closing(self, stop: str, usage: Usage) -> list[str]:
        return self._close() + [
            self._event(
                "message_delta",
                delta={"stop_reason": STOP_REASON[stop], "stop_sequence": None},
                usage=usage_json(usage),
            ),
            self._event("message_stop"),
        ]

    def error_frames(self, message: str) -> list[str]:
        return [self._event("error", error={"type": "overloaded_error", "message": "Overloaded"})]

    def malformed_frame(self) -> str:
        return 'event: content_block_delta\ndata: {"choices": [\n\n'

    def keepalive(self) -> str:
        return ": keep-alive\n\n"

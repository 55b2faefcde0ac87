"""Anthropic Messages (`POST /v1/messages`): named SSE events, signed thinking blocks.

Thinking signatures are an HMAC of the thinking text under a fixed secret, so a
client that edits or forges thinking it sends back gets the real API's 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .body_wire import BodyNamedModel
from .pacing import sse
from .scripts import Conversation, Message, Script, ToolTurn, Usage, decoded_size, redacted_is_valid
from .tool_model import Call, Result, Step, Tool, check_steps, same_json

if TYPE_CHECKING:
    from .exchange import Exchange

SIGNING_SECRET = b"rtchat-loopback-thinking-signature-v1"
MIN_THINKING_BUDGET = 1024

STOP_REASON = {"complete": "end_turn", "length": "max_tokens", "refusal": "refusal", "tool_use": "tool_use"}
CALL_ID_PREFIX = "toolu_"
THINKING_FIRST = (
    "{where}.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final "
    "`assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` "
    "blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. "
    "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)

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


def error_body(kind: str, message: str, param: str | None = None) -> dict[str, Any]:
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


# ---------------------------------------------------------------- tools


def _blocks(message: Any, kind: str) -> list[dict]:
    content = message.get("content") if isinstance(message, dict) else None
    return [block for block in content if isinstance(block, dict) and block.get("type") == kind] if isinstance(content, list) else []


def is_results(message: dict) -> bool:
    """A user message that carries tool results: part of the answer's rounds, not a prompt."""
    return message.get("role") == "user" and bool(_blocks(message, "tool_result"))


def offered_tools(body: dict) -> tuple[Tool, ...]:
    """Client tools (`{name, input_schema}`); server tools (web search...) are not the model's to call here."""
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type", "custom") == "custom"]
    return tuple(Tool(tool["name"], tool.get("input_schema") or {}) for tool in tools if isinstance(tool.get("name"), str))


def result_text(content: Any) -> str:
    """A tool_result's content: a string or text blocks."""
    return content if isinstance(content, str) else blocks_text(content)


def _arguments(block: dict) -> str:
    return json.dumps(block.get("input"), ensure_ascii=False, separators=(",", ":"))


def _last_prompt(messages: list[dict]) -> int:
    return max((i for i, m in enumerate(messages) if m.get("role") == "user" and not is_results(m)), default=-1)


def tool_turn(messages: list[dict], tools: tuple[Tool, ...]) -> ToolTurn:
    """This answer's rounds: `tool_use` blocks after the last prompt, then the `tool_result` blocks answering them."""
    last = _last_prompt(messages)
    steps: list[Step] = []
    for message in messages[last + 1 :]:
        uses = _blocks(message, "tool_use") if message.get("role") == "assistant" else []
        if uses:
            steps.append(Step(tuple(Call(str(b.get("id", "")), str(b.get("name", "")), _arguments(b)) for b in uses)))
        elif is_results(message) and steps:
            results = tuple(
                Result(str(b.get("tool_use_id", "")), result_text(b.get("content")), bool(b.get("is_error")))
                for b in _blocks(message, "tool_result")
            )
            steps[-1] = Step(steps[-1].calls, steps[-1].results + results)
    earlier = sum(len(_blocks(m, "tool_use")) for m in messages[: last + 1] if m.get("role") == "assistant")
    return ToolTurn(tools, tuple(steps), earlier, CALL_ID_PREFIX)


def pairing_problem(messages: list[dict]) -> str | None:
    """Anthropic's own rule, in its words: each `tool_use` answered by a `tool_result` in the very next message."""
    asked: list[str] = []
    asked_at = 0
    for index, message in enumerate(messages):
        answered = [str(block.get("tool_use_id", "")) for block in _blocks(message, "tool_result")] if message.get("role") == "user" else []
        for position, call_id in enumerate(answered):
            if call_id not in asked:
                return (
                    f"messages.{index}.content.{position}: unexpected `tool_use_id` found in `tool_result` blocks: {call_id}. "
                    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                )
        missing = [call_id for call_id in asked if call_id not in answered]
        if missing:
            return (
                f"messages.{asked_at}: `tool_use` ids were found without `tool_result` blocks immediately after: {', '.join(missing)}. "
                "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
            )
        asked = [str(block.get("id", "")) for block in _blocks(message, "tool_use")] if message.get("role") == "assistant" else []
        asked_at = index
    if asked:
        return f"messages.{asked_at}: `tool_use` ids were found without `tool_result` blocks immediately after: {', '.join(asked)}. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    return None


def thinking_problem(messages: list[dict]) -> str | None:
    """With thinking on, this answer's `tool_use` messages must start with the thinking the model sent (signed)."""
    for index in range(_last_prompt(messages) + 1, len(messages)):
        message = messages[index]
        if message.get("role") != "assistant" or not _blocks(message, "tool_use"):
            continue
        first = message["content"][0]
        found = first.get("type") if isinstance(first, dict) else None
        if found not in ("thinking", "redacted_thinking"):
            return THINKING_FIRST.format(where=f"messages.{index}.content.0", found=found)
    return None


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
            if isinstance(message, dict) and message.get("role") in ("user", "assistant") and not is_results(message)
        )
        raw = [m for m in body.get("messages", []) if isinstance(m, dict)]
        return replace(Conversation(blocks_text(body.get("system")), messages), tools=tool_turn(raw, offered_tools(body)))

    def tool_problem(self, body: dict, conversation: Conversation) -> tuple[str, str | None] | None:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        problem = pairing_problem(messages) or (thinking_problem(messages) if self.wants_thinking(body) else None)
        if problem:
            return problem, None
        tools = conversation.tools
        mismatch = check_steps(
            tools.offered, conversation.prompt, tools.steps, first_number=tools.first_number, id_prefix=tools.id_prefix, same_arguments=same_json
        )
        return (f"messages: the tool calls do not match what the model sent: {mismatch.message}", None) if mismatch else None

    def error_body(self, kind: str, message: str, param: str | None = None) -> dict[str, Any]:
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
        if script.text or not script.calls:
            content.append({"type": "text", "text": script.text})
        content += [{"type": "tool_use", "id": call.id, "name": call.name, "input": json.loads(call.arguments)} for call in script.calls]
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
        self.block: str | None = None  # "thinking" | "text" | "call:<n>" while a block is open
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
        if kind.startswith("call:"):
            return self._call_piece(kind, piece)
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

    def _call_piece(self, kind: str, piece: str) -> list[str]:
        """A `tool_use` block (id, name, empty input), then its input as `input_json_delta` pieces."""
        frames = []
        self.sent += 1
        if kind != self.block:
            frames += self._close()
            self.index += 1
            self.block = kind
            call = self.script.calls[int(kind[5:])]
            start = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
            frames.append(self._event("content_block_start", index=self.index, content_block=start))
        delta = {"type": "input_json_delta", "partial_json": piece}
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

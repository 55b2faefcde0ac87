"""Anthropic Messages over SSE, with extended thinking.

Thinking streams as `thinking_delta`, its signature as one `signature_delta`;
`redacted_thinking` blocks arrive whole. The signature is kept so the block
can be sent back unchanged in a later turn, which Anthropic requires.

Tools: `tool_use` blocks stream their `input` as `input_json_delta` pieces, keyed by the
content block index; a follow-up sends each step's blocks back in order (thinking, text,
tool_use), then a user message of `tool_result` blocks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from rtchat.attachments import Attachment
from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock, ToolCall, ToolResult, has_words
from rtchat.events import (
    Done,
    Event,
    RedactedThinking,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    ToolCallDelta,
    Usage,
    plausible_count,
)
from rtchat.target import key_headers
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder, alternating_turns, binary_attachments, done_reason, in_stream_error, mapping, parse_json, reported_usage, user_text
from rtchat.wire.sse import ServerSentEvent

API_VERSION = "2023-06-01"
THINKING_BUDGET = {"low": 2048, "medium": 8192, "high": 16384, "max": 32000}
DEFAULT_MAX_TOKENS = 8192

STOP_REASONS = {
    "end_turn": "complete",
    "stop_sequence": "complete",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "refusal",
    "tool_use": "tool_use",
    "pause_turn": "pause",
}

# rtchat's tool_choice in Anthropic's words (anthropic-sdk-python's ToolChoice*Param `type`).
TOOL_CHOICE = {"auto": "auto", "none": "none", "required": "any"}

ERROR_KINDS = {
    "overloaded_error": ("overloaded", True),
    "rate_limit_error": ("rate_limit", True),
    "api_error": ("server", True),
    "authentication_error": ("auth", False),
    "permission_error": ("auth", False),
    "not_found_error": ("not_found", False),
    "invalid_request_error": ("bad_request", False),
    "request_too_large": ("bad_request", False),
}


def build_request(base_url: str, key: str | None, model: str, conversation: Conversation, options: RequestOptions) -> HttpRequest:
    thinking_on = options.effort not in (None, "off")
    messages: list[dict] = []
    for message in alternating_turns(conversation):
        if message.role == "user":
            _append(messages, {"role": "user", "content": user_content(message)})
            continue
        for step in message.rounds:
            said = [*_thinking(step.thinking, thinking_on, options.provider_id), *_words(step.text), *map(tool_use, step.calls)]
            results = [tool_result(result) for result in step.results]
            if said:  # (never empty from the fold: a step is closed by its calls' results)
                _append(messages, {"role": "assistant", "content": said})
            if results:
                _append(messages, {"role": "user", "content": results})
        if has_words(message.text):
            _append(messages, {"role": "assistant", "content": [*_thinking(message.thinking, thinking_on, options.provider_id), {"type": "text", "text": message.text}]})
    body: dict = {"model": model, "max_tokens": options.max_tokens or DEFAULT_MAX_TOKENS, "messages": messages, "stream": True}
    if conversation.system:
        body["system"] = conversation.system
    if thinking_on:
        budget = THINKING_BUDGET[options.effort]
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        body["max_tokens"] = max(body["max_tokens"], budget + DEFAULT_MAX_TOKENS)
    if options.tools:
        body["tools"] = [{"name": spec.name, "description": spec.description, "input_schema": spec.parameters} for spec in options.tools]
        body["tool_choice"] = tool_choice(options.tool_choice, thinking_on)
    body.update(options.extra_body)
    headers = {"anthropic-version": API_VERSION, "Accept": "text/event-stream", **key_headers("anthropic", key)}
    return HttpRequest(f"{base_url.rstrip('/')}/v1/messages", headers, body)


def tool_choice(choice: str, thinking_on: bool) -> dict:
    """rtchat's choice in Anthropic's words. With extended thinking on, Anthropic refuses a
    choice that forces tool use ("any": "Thinking may not be enabled when tool_choice forces
    tool use"), so the request asks for "auto" instead of failing: the model may still call the
    tools, it is just not made to. No notice: rtchat's own turns always ask for "auto"."""
    kind = TOOL_CHOICE.get(choice, "auto")
    return {"type": "auto" if thinking_on and kind == "any" else kind}


def _thinking(blocks: list[ThinkingBlock], thinking_on: bool, provider_id: str) -> list[dict]:
    """The thinking blocks to send back, exactly as received: Anthropic rejects a tool-use
    follow-up whose thinking was dropped or changed (while thinking is on)."""
    if not thinking_on:
        return []
    sent: list[dict] = []
    for block in blocks:
        if block.provider != provider_id:
            continue  # another provider's signature would be rejected
        if block.redacted:
            sent.append({"type": "redacted_thinking", "data": block.redacted})
        elif block.signature:
            sent.append({"type": "thinking", "thinking": block.text, "signature": block.signature})
    return sent


def _words(text: str) -> list[dict]:
    return [{"type": "text", "text": text}] if has_words(text) else []  # an empty text block is a 400; a blank one says nothing


def tool_use(call: ToolCall) -> dict:
    """A call as the model made it. `input` must be an object: arguments that were not one
    (the tool was refused for them) go back as `{}`, with the refusal in the result."""
    parsed = call.parsed()
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": {} if parsed is None else parsed}


def tool_result(result: ToolResult) -> dict:
    """A result; with images, its content is blocks: the text, then each image (a
    tool_result's content takes text and image blocks, anthropic-sdk-python's ToolResultBlockParam)."""
    content: str | list[dict] = result.output
    if result.images:
        content = [*_words(result.output), *(image_block(image) for image in result.images)]
    block: dict = {"type": "tool_result", "tool_use_id": result.call_id, "content": content}
    if result.is_error:
        block["is_error"] = True
    return block


def _append(messages: list[dict], message: dict) -> None:
    """Add `message`, joined to the last one when the role repeats (Anthropic wants user and
    assistant to alternate). A prompt after tool results goes in their user message, after
    them: Anthropic's tool-use guide wants the `tool_result` blocks first in that message."""
    if not messages or messages[-1]["role"] != message["role"]:
        messages.append(message)
        return
    last = messages[-1]
    last["content"] = _blocks(last["content"]) + _blocks(message["content"])


def _blocks(content: str | list[dict]) -> list[dict]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def user_content(message: ChatMessage) -> str | list[dict]:
    """Text, or image and document blocks then the text, as Anthropic recommends for files."""
    binary = binary_attachments(message)
    if not binary:
        return user_text(message)
    return [*map(image_block, binary), {"type": "text", "text": user_text(message)}]


def image_block(attachment: Attachment) -> dict:
    """A file as Anthropic's base64 `image` (or `document`, for a PDF) block."""
    kind = "image" if attachment.kind == "image" else "document"
    return {"type": kind, "source": {"type": "base64", "media_type": attachment.media_type, "data": attachment.base64()}}


def _index(payload: Mapping[str, object]) -> int:
    """The content block's index: calls are keyed by it, so an odd one (a string, a bool) reads as 0."""
    index = payload.get("index", 0)
    return index if isinstance(index, int) and not isinstance(index, bool) else 0


class MessagesDecoder(StreamDecoder):
    wire = "anthropic"

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None
        self.input_tokens: int | None = None
        self.cached_tokens: int | None = None
        self.written_tokens: int | None = None
        self.output_tokens: int | None = None
        self.blocks: dict[int, str] = {}  # content block index -> its type
        self.arguments_seen: set[int] = set()  # tool_use blocks that streamed some input

    def _usage(self, usage: object) -> list[Event]:
        usage = mapping(usage)
        said: dict[str, object] = {}
        if "input_tokens" in usage or "cache_read_input_tokens" in usage:
            counts = [usage.get(name) for name in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")]
            fresh, read, written = (0 if count is None else plausible_count(count) for count in counts)  # None: implausible
            said = {"input_tokens": counts[0], "cached_tokens": counts[1], "cache_write_tokens": counts[2]}
            self.input_tokens = None if None in (fresh, read, written) else fresh + read + written
            self.cached_tokens = read
            self.written_tokens = written
        if usage.get("output_tokens") is not None:
            said["output_tokens"] = self.output_tokens = usage["output_tokens"]
        reported = Usage(self.input_tokens, self.output_tokens, self.cached_tokens, None, self.written_tokens)
        return reported_usage(reported, said)

    def _decode(self, sse: ServerSentEvent) -> list[Event]:
        if not sse.data.strip():
            return []
        payload = parse_json(sse.data)
        if not isinstance(payload, dict):
            return self.malformed(sse)
        kind = payload.get("type") or sse.event
        if kind == "message_start":
            usage = (payload.get("message") or {}).get("usage")
            return self._usage(usage) if usage else []
        if kind == "content_block_start":
            block = mapping(payload.get("content_block"))
            index = _index(payload)
            self.blocks[index] = block.get("type", "")
            if block.get("type") == "redacted_thinking":
                return [RedactedThinking(block.get("data", ""))]
            if block.get("type") == "tool_use":
                return [self._tool_start(index, block)]
            if block.get("type") == "text" and block.get("text"):
                return [TextDelta(block["text"])]
            if block.get("type") == "thinking" and block.get("thinking"):
                return [ThinkingDelta(block["thinking"])]
            return []
        if kind == "content_block_delta":
            delta = payload.get("delta") or {}
            delta_type = delta.get("type")
            if delta_type == "text_delta":
                return [TextDelta(delta.get("text", ""))] if delta.get("text") else []
            if delta_type == "thinking_delta":
                return [ThinkingDelta(delta.get("thinking", ""))] if delta.get("thinking") else []
            if delta_type == "signature_delta":
                return [ThinkingSignature(delta["signature"])] if delta.get("signature") else []  # an empty one is no event
            if delta_type == "input_json_delta":
                index = _index(payload)
                piece = delta.get("partial_json")
                # Only a client `tool_use` block is a call rtchat runs: a `server_tool_use` block
                # (Anthropic's own web search or tool search) streams its input the same way.
                if self.blocks.get(index) != "tool_use" or not isinstance(piece, str) or not piece:
                    return []
                self.arguments_seen.add(index)
                return [ToolCallDelta(index, None, None, piece)]
            return []
        if kind == "content_block_stop":
            index = _index(payload)
            if self.blocks.get(index) == "tool_use" and index not in self.arguments_seen:
                self.arguments_seen.add(index)
                return [ToolCallDelta(index, None, None, "{}")]  # no input pieces: the call takes no arguments
            return []
        if kind == "message_delta":
            stop = (payload.get("delta") or {}).get("stop_reason")
            if stop:
                self.reason = done_reason(STOP_REASONS, stop)
            usage = payload.get("usage")
            return self._usage(usage) if usage else []
        if kind == "message_stop":
            return [Done(self.reason or "complete")]
        if kind == "error":
            error = payload.get("error") or {}
            error_kind, retryable = ERROR_KINDS.get(error.get("type", ""), ("server", False))
            return in_stream_error(error_kind, f"Anthropic reported {error.get('type', 'an error')}: {error.get('message', '')}".rstrip(": "), retryable)
        return []  # ping and anything newer

    def _tool_start(self, index: int, block: Mapping[str, object]) -> ToolCallDelta:
        """A call's first fragment: its id and name. Anthropic starts `input` as `{}` and streams
        it; a proxy that puts the whole input here has it taken as the arguments. Anthropic always
        gives an id; a server that does not gets a made-up one, marked as such."""
        call_id, name, given = block.get("id"), block.get("name"), block.get("input")
        name = name if isinstance(name, str) else ""
        arguments = json.dumps(given, ensure_ascii=False) if isinstance(given, dict) and given else ""
        if arguments:
            self.arguments_seen.add(index)
        if isinstance(call_id, str) and call_id:
            return ToolCallDelta(index, call_id, name, arguments)
        return ToolCallDelta(index, f"toolu_rtchat_{index}", name, arguments, (("synthetic_id", "1"),))

    def _as_stream(self, payload: object) -> list[dict] | None:
        if not isinstance(payload, dict):
            return None
        if payload.get("type") == "error":
            return [payload]
        if payload.get("type") != "message" or not isinstance(payload.get("content"), list):
            return None
        usage = payload.get("usage") or {}
        frames: list[dict] = [{"type": "message_start", "message": {"usage": usage}}]
        for index, block in enumerate(payload["content"]):
            start = dict(block)
            start.pop("signature", None)
            if block.get("type") == "tool_use":
                start["input"] = {}
            frames.append({"type": "content_block_start", "index": index, "content_block": start})
            if block.get("type") == "thinking" and block.get("signature"):
                frames.append({"type": "content_block_delta", "index": index, "delta": {"type": "signature_delta", "signature": block["signature"]}})
            if block.get("type") == "tool_use" and block.get("input") is not None:
                frames.append({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
            frames.append({"type": "content_block_stop", "index": index})
        frames.append({"type": "message_delta", "delta": {"stop_reason": payload.get("stop_reason")}, "usage": usage})
        frames.append({"type": "message_stop"})
        return frames

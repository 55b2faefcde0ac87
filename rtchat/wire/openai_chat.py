"""OpenAI-compatible Chat Completions over SSE.

One decoder serves OpenAI, DeepSeek, OpenRouter, Ollama, llama.cpp, vLLM and
gateways: reasoning arrives as `delta.reasoning_content` or `delta.reasoning`
depending on the server, usage on a `choices: []` chunk or on the last content
chunk, errors as `data: {"error": ...}` or an `event: error` frame.

What gateways add is kept, not dropped: LiteLLM's `usage.cost` and
`x-litellm-response-cost` header (the turn's cost), its `thinking_blocks`
(Anthropic thinking with signatures, sent back on the next turn), and
llama.cpp's `timings` (the server's own speeds and cache hits).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from rtchat.conversation import ChatMessage, Conversation, has_words
from rtchat.events import Done, Event, RedactedThinking, ServerTimings, TextDelta, ThinkingDelta, ThinkingSignature, ToolCallDelta, Usage
from rtchat.target import key_headers
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder, binary_attachments, done_reason, in_stream_error, mapping, parse_json, reported_cost, reported_usage, user_text
from rtchat.wire.sse import ServerSentEvent

FINISH_REASONS = {
    "stop": "complete",
    "length": "length",
    "content_filter": "refusal",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "error": "error",
}

OPENAI_EFFORT = {"off": "minimal", "low": "low", "medium": "medium", "high": "high", "max": "high"}
GENERIC_EFFORT = {"off": "none", "low": "low", "medium": "medium", "high": "high", "max": "high"}


def reasoning_fields(effort: str | None, style: str) -> dict:
    """Each OpenAI-compatible server names its reasoning knob differently."""
    if effort is None:
        return {}
    if style == "deepseek":
        if effort == "off":
            return {"thinking": {"type": "disabled"}}
        return {"thinking": {"type": "enabled"}, "reasoning_effort": GENERIC_EFFORT[effort]}
    if style == "openrouter":
        if effort == "off":
            return {"reasoning": {"enabled": False}}
        return {"reasoning": {"effort": GENERIC_EFFORT[effort]}}
    if style == "openai":
        return {"reasoning_effort": OPENAI_EFFORT[effort]}
    return {"reasoning_effort": GENERIC_EFFORT[effort]}


def build_request(base_url: str, key: str | None, model: str, conversation: Conversation, options: RequestOptions) -> HttpRequest:
    messages: list[dict] = []
    if conversation.system:
        messages.append({"role": "system", "content": conversation.system})
    for message in conversation.messages:
        if message.role == "assistant" and not has_words(message.text):
            continue
        entry: dict = {"role": message.role, "content": chat_content(message) if message.role == "user" else message.text}
        signed = [block for block in message.thinking if block.provider == options.provider_id and (block.signature or block.redacted)]
        if message.role == "assistant" and signed:  # LiteLLM relays these to Anthropic, which needs them back as sent
            entry["thinking_blocks"] = [
                {"type": "redacted_thinking", "data": block.redacted} if block.redacted else {"type": "thinking", "thinking": block.text, "signature": block.signature}
                for block in signed
            ]
        messages.append(entry)
    body: dict = {
        "model": model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if options.max_tokens:
        body["max_completion_tokens" if options.effort_style == "openai" else "max_tokens"] = options.max_tokens
    body.update(reasoning_fields(options.effort, options.effort_style))
    body.update(options.extra_body)
    headers = {"Accept": "text/event-stream", **key_headers("openai_chat", key)}
    return HttpRequest(f"{base_url.rstrip('/')}/chat/completions", headers, body)


def usage_from(usage: object) -> list[Event]:
    """The usage event (and a notice for counts that make no sense) from a `usage` object."""
    usage = mapping(usage)
    cached = mapping(usage.get("prompt_tokens_details")).get("cached_tokens")
    if cached is None:
        cached = usage.get("prompt_cache_hit_tokens")  # DeepSeek
    said = {
        "input_tokens": usage.get("prompt_tokens"),
        "output_tokens": usage.get("completion_tokens"),
        "cached_tokens": cached,
        "reasoning_tokens": mapping(usage.get("completion_tokens_details")).get("reasoning_tokens"),
    }
    return reported_usage(Usage(**said), said)


def chat_content(message: ChatMessage) -> str | list[dict]:
    """A user message's content: plain text, or text and image/file parts when files go with it."""
    binary = binary_attachments(message)
    if not binary:
        return user_text(message)
    parts: list[dict] = [{"type": "text", "text": user_text(message)}]
    for attachment in binary:
        if attachment.kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": attachment.data_url()}})
        else:
            parts.append({"type": "file", "file": {"filename": attachment.name, "file_data": attachment.data_url()}})
    return parts


def thinking_block_events(blocks: list, streamed_text: bool) -> list[Event]:
    """LiteLLM's `thinking_blocks`: thinking text (unless it also came as reasoning_content) and signatures."""
    events: list[Event] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "redacted_thinking" and block.get("data"):
            events.append(RedactedThinking(block["data"]))
            continue
        if block.get("thinking") and not streamed_text:
            events.append(ThinkingDelta(block["thinking"]))
        if block.get("signature"):
            events.append(ThinkingSignature(block["signature"]))
    return events


def timings_from(timings: dict) -> ServerTimings:
    def rate(name: str) -> float | None:
        value = timings.get(name)
        return float(value) if _is_amount(value) else None

    return ServerTimings(rate("prompt_per_second"), rate("predicted_per_second"), timings.get("cache_n"))


def _is_amount(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def error_message(error: object) -> tuple[str, str]:
    """(kind, message) from an OpenAI-style error object or string."""
    if isinstance(error, dict):
        message = str(error.get("message") or error)
        code = str(error.get("code") or error.get("type") or "")
        kind = "rate_limit" if "rate" in code or code == "429" else "server"
        return kind, message
    return "server", str(error)


class ChatCompletionsDecoder(StreamDecoder):
    wire = "openai_chat"

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def _decode(self, sse: ServerSentEvent) -> list[Event]:
        data = sse.data.strip()
        if data == "[DONE]":
            return [Done(self.reason or "complete")]
        if not data:
            return []
        chunk = parse_json(data)
        if not isinstance(chunk, dict):
            return self.malformed(sse)
        if sse.event == "error" or chunk.get("error"):
            # OpenRouter puts the usage on the error chunk itself: keep it.
            usage = usage_from(chunk["usage"]) if isinstance(chunk.get("usage"), dict) else []
            kind, message = error_message(chunk.get("error", chunk))
            return usage + in_stream_error(kind, f"the server reported an error mid-stream: {message}")
        events: list[Event] = []
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                events.append(ThinkingDelta(reasoning))
            blocks = delta.get("thinking_blocks")
            if isinstance(blocks, list) and blocks:
                events += thinking_block_events(blocks, streamed_text=bool(reasoning))
            refusal = delta.get("refusal")
            if refusal:
                self.reason = "refusal"
                events.append(TextDelta(refusal))
            content = delta.get("content")
            if isinstance(content, str) and content:
                events.append(TextDelta(content))
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                events.append(
                    ToolCallDelta(call.get("index", 0), call.get("id"), function.get("name"), function.get("arguments") or "")
                )
            finish = choice.get("finish_reason")
            if finish and self.reason != "refusal":
                self.reason = done_reason(FINISH_REASONS, finish)
        if chunk.get("usage"):
            events += usage_from(chunk["usage"])
            events += reported_cost(mapping(chunk["usage"]).get("cost"))
        if isinstance(chunk.get("timings"), dict):
            events.append(timings_from(chunk["timings"]))
        return events

    def headers(self, headers: Mapping[str, str]) -> list[Event]:
        return reported_cost(headers.get("x-litellm-response-cost"))

    def _as_stream(self, payload: object) -> list[dict] | None:
        if not isinstance(payload, dict):
            return None
        if payload.get("error"):
            return [payload]
        choices = payload.get("choices")
        if not isinstance(choices, list):
            return None
        streamed = []
        for choice in choices:
            message = dict(choice.get("message") or {})
            message["tool_calls"] = [{**call, "index": i} for i, call in enumerate(message.get("tool_calls") or [])]
            streamed.append({"index": choice.get("index", 0), "delta": message, "finish_reason": choice.get("finish_reason")})
        return [{"choices": streamed, **({"usage": payload["usage"]} if payload.get("usage") else {})}]

    def _finish(self) -> list[Event]:
        # Some servers omit [DONE]; a finish_reason is enough to call it whole.
        if self.reason is not None:
            return [Done(self.reason)]
        return super()._finish()

"""OpenAI-compatible Chat Completions over SSE.

One decoder serves OpenAI, DeepSeek, OpenRouter, Ollama, llama.cpp, vLLM and
gateways: reasoning arrives as `delta.reasoning_content` or `delta.reasoning`
depending on the server, usage on a `choices: []` chunk or on the last content
chunk, errors as `data: {"error": ...}` or an `event: error` frame.

What gateways add is kept, not dropped: LiteLLM's `usage.cost` and
`x-litellm-response-cost` header (the turn's cost), its `thinking_blocks`
(Anthropic thinking with signatures, sent back on the next turn), and
llama.cpp's `timings` (the server's own speeds and cache hits).

Tool calls: the offered tools go out as `tools` + `tool_choice`; streamed `delta.tool_calls[]`
become `ToolCallDelta`s however the server numbers them (`StreamedCalls`); an answer's tool
steps go back as assistant `tool_calls` messages, then one `tool` message per result.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock, ToolResult, has_words
from rtchat.events import Done, DoneReason, Event, RedactedThinking, ServerTimings, TextDelta, ThinkingDelta, ThinkingSignature, ToolCallDelta, Usage
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
        if message.role == "assistant" and message.rounds:
            messages += tool_round_messages(message, options)
        if message.role == "assistant" and not has_words(message.text):
            continue
        entry: dict = {"role": message.role, "content": chat_content(message) if message.role == "user" else message.text}
        if message.role == "assistant":
            entry.update(thinking_fields(message.thinking, options, bool(message.rounds)))
        messages.append(entry)
    body: dict = {
        "model": model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if options.tools:
        body["tools"] = [{"type": "function", "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters}} for tool in options.tools]
        body["tool_choice"] = options.tool_choice
    if options.max_tokens:
        body["max_completion_tokens" if options.effort_style == "openai" else "max_tokens"] = options.max_tokens
    body.update(reasoning_fields(options.effort, options.effort_style))
    body.update(options.extra_body)
    headers = {"Accept": "text/event-stream", **key_headers("openai_chat", key)}
    return HttpRequest(f"{base_url.rstrip('/')}/chat/completions", headers, body)


def thinking_fields(blocks: list[ThinkingBlock], options: RequestOptions, called_tools: bool) -> dict:
    """What an assistant message carries of its reasoning: signed blocks for LiteLLM (which relays
    them to Anthropic, which needs them back as sent), and DeepSeek's `reasoning_content` on the
    messages of an answer that called tools (DeepSeek's thinking mode refuses a tool follow-up
    without it, and ignores it elsewhere, so other answers keep leaving it out)."""
    fields: dict = {}
    signed = [block for block in blocks if block.provider == options.provider_id and (block.signature or block.redacted)]
    if signed:
        fields["thinking_blocks"] = [
            {"type": "redacted_thinking", "data": block.redacted} if block.redacted else {"type": "thinking", "thinking": block.text, "signature": block.signature}
            for block in signed
        ]
    reasoning = "".join(block.text for block in blocks if block.provider == options.provider_id)
    if called_tools and options.effort_style == "deepseek" and reasoning:
        fields["reasoning_content"] = reasoning
    return fields


def tool_round_messages(message: ChatMessage, options: RequestOptions) -> list[dict]:
    """An answer's tool steps: per step, the assistant message with its calls exactly as the
    model sent them (content null when it said nothing: some gateways refuse "" beside
    tool_calls, and the API documents content as optional there), then one `tool` message per result."""
    messages: list[dict] = []
    for step in message.rounds:
        if not step.calls and not has_words(step.text):
            continue  # nothing to send: an empty tool_calls list is refused like an empty message
        entry: dict = {"role": "assistant", "content": step.text if has_words(step.text) else None}
        entry.update(thinking_fields(step.thinking, options, True))
        if step.calls:
            entry["tool_calls"] = [{"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}} for call in step.calls]
        messages.append(entry)
        messages += [{"role": "tool", "tool_call_id": result.call_id, "content": result.output} for result in step.results]
        messages += tool_images_message(step.results)
    return messages


# A `tool` message's content is text on most servers (OpenAI's own takes only text parts there),
# so a step's images follow its tool messages in one user message that says whose they are.
TOOL_IMAGES_INTRO = "Images the tool calls returned:"


def tool_images_message(results: list[ToolResult]) -> list[dict]:
    """The user message carrying a step's tool images (none when no result has any)."""
    parts: list[dict] = []
    for result in results:
        for image in result.images:
            parts += [{"type": "text", "text": f"{result.call_id} ({result.name}): {image.name}"}, {"type": "image_url", "image_url": {"url": image.data_url()}}]
    return [{"role": "user", "content": [{"type": "text", "text": TOOL_IMAGES_INTRO}, *parts]}] if parts else []


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


class StreamedCalls:
    """Which call each `delta.tool_calls[]` fragment belongs to, however the server numbers them.

    OpenAI sends `index` with the id and name in the first fragment and `arguments` in pieces;
    Ollama and llama.cpp send a whole call in one fragment; some OpenRouter providers repeat the
    id and name in every fragment; some servers give every call index 0, or no index at all. A
    fragment whose id differs from its slot's starts a new call; a fragment without an id joins
    the call its index (or, with no index, the last call) names. Calls are numbered in the order
    they appear, and one the server gave no id gets one made from the chunk id, marked synthetic."""

    def __init__(self) -> None:
        self.ids: list[str] = []  # slot -> call id
        self._slot_of_index: dict[int, int] = {}
        self._synthetic: set[int] = set()  # slots whose id rtchat made up: a later real id joins them

    def fragments(self, calls: list, chunk_id: object) -> list[Event]:
        events: list[Event] = []
        for call in calls:
            if isinstance(call, dict):
                events.append(self._fragment(call, chunk_id))
        return events

    def _fragment(self, call: dict, chunk_id: object) -> ToolCallDelta:
        function = mapping(call.get("function"))
        given = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else None
        index = call.get("index") if isinstance(call.get("index"), int) and not isinstance(call.get("index"), bool) else None
        slot = self._slot(given, index)
        new, extra = slot == len(self.ids), ()
        if new:
            if given is None:
                given, extra = f"{chunk_id if isinstance(chunk_id, str) and chunk_id else 'call'}-{slot}", (("synthetic_id", "1"),)
                self._synthetic.add(slot)
            self.ids.append(given)
        name = function.get("name")
        return ToolCallDelta(slot, given if new else None, name if isinstance(name, str) and name else None, arguments_text(function.get("arguments")), extra)

    def _slot(self, given: str | None, index: int | None) -> int:
        known = self._slot_of_index.get(index) if index is not None else (len(self.ids) - 1 if self.ids else None)
        if given is not None and given in self.ids:
            slot = self.ids.index(given)
        elif known is None or (given is not None and self.ids[known] != given and known not in self._synthetic):
            slot = len(self.ids)  # a new call
        else:
            slot = known
        if index is not None:
            self._slot_of_index[index] = slot
        return slot


def arguments_text(arguments: object) -> str:
    """A fragment of the arguments exactly as sent; a server that sends them as a JSON object
    (not the documented string) gets them serialised once, as one whole fragment."""
    if isinstance(arguments, str):
        return arguments
    if isinstance(arguments, (dict, list)):
        return json.dumps(arguments, ensure_ascii=False)
    return ""


class ChatCompletionsDecoder(StreamDecoder):
    wire = "openai_chat"

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None
        self.calls = StreamedCalls()

    def _decode(self, sse: ServerSentEvent) -> list[Event]:
        data = sse.data.strip()
        if data == "[DONE]":
            return [Done(self._reason())]
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
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                events += self.calls.fragments(calls, chunk.get("id"))
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
            return [Done(self._reason())]
        return super()._finish()

    def _reason(self) -> DoneReason:
        """Calls make the step a tool step even when the server said "stop" (Ollama, llama.cpp)
        or said nothing (some OpenRouter providers end with [DONE] alone)."""
        reason = self.reason or "complete"
        return "tool_use" if reason == "complete" and self.calls.ids else reason  # type: ignore[return-value]

"""Google Gemini `streamGenerateContent?alt=sse`.

Each frame is a whole GenerateContentResponse; thought parts carry
`thought: true`. There is no end marker: the stream just ends, so the last
`finishReason` seen decides how the turn ended.

Tools: `functionCall` parts arrive whole (`args` an object, `id` only sometimes, the part's
`thoughtSignature` to be sent back on that same part); results go back as `functionResponse`
parts. Parameters are sent in the schema subset Gemini takes (`gemini_schema`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import quote

from rtchat.conversation import ChatMessage, Conversation, ToolCall, ToolResult, ToolRound, ToolSpec, has_words
from rtchat.events import Done, Event, TextDelta, ThinkingDelta, ToolCallDelta, Usage, plausible_count
from rtchat.target import key_headers
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder, alternating_turns, binary_attachments, done_reason, in_stream_error, mapping, parse_json, reported_usage, user_text
from rtchat.wire.gemini_schema import gemini_parameters
from rtchat.wire.sse import ServerSentEvent

THINKING_BUDGET = {"off": 0, "low": 1024, "medium": 8192, "high": 24576, "max": 32768}
THINKING_LEVEL = {"off": "low", "low": "low", "medium": "high", "high": "high", "max": "high"}

FINISH_REASONS = {
    "STOP": "complete",
    "MAX_TOKENS": "length",
    "SAFETY": "refusal",
    "RECITATION": "refusal",
    "BLOCKLIST": "refusal",
    "PROHIBITED_CONTENT": "refusal",
    "SPII": "refusal",
    "IMAGE_SAFETY": "refusal",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
}

# rtchat's tool_choice as google-genai's FunctionCallingConfigMode.
CALLING_MODE = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def thinking_config(effort: str | None, style: str) -> dict:
    if effort is None:
        return {"includeThoughts": True}
    if effort == "off":
        return {"includeThoughts": False, "thinkingBudget": 0} if style == "budget" else {"thinkingLevel": "low"}
    if style == "level":
        return {"includeThoughts": True, "thinkingLevel": THINKING_LEVEL[effort]}
    return {"includeThoughts": True, "thinkingBudget": THINKING_BUDGET[effort]}


def user_parts(message: ChatMessage) -> list[dict]:
    """Files as inline data parts, then the text."""
    inline = [{"inlineData": {"mimeType": a.media_type, "data": a.base64()}} for a in binary_attachments(message)]
    return [*inline, {"text": user_text(message)}]


def build_request(base_url: str, key: str | None, model: str, conversation: Conversation, options: RequestOptions) -> HttpRequest:
    contents: list[dict] = []
    for message in alternating_turns(conversation):
        if message.role == "user":
            contents.append({"role": "user", "parts": user_parts(message)})
            continue
        for step in message.rounds:
            contents += round_contents(step, options.provider_id)
        if has_words(message.text):
            contents.append({"role": "model", "parts": [{"text": message.text}]})
    generation: dict = {"thinkingConfig": thinking_config(options.effort, options.effort_style)}
    if options.max_tokens:
        generation["maxOutputTokens"] = options.max_tokens
    body: dict = {"contents": contents, "generationConfig": generation}
    if conversation.system:
        body["systemInstruction"] = {"parts": [{"text": conversation.system}]}
    if options.tools:
        body["tools"] = [{"functionDeclarations": function_declarations(options.tools)}]
        body["toolConfig"] = {"functionCallingConfig": {"mode": CALLING_MODE.get(options.tool_choice, "AUTO")}}
    body.update(options.extra_body)
    headers = {"Accept": "text/event-stream", **key_headers("gemini", key)}
    url = f"{base_url.rstrip('/')}/v1beta/models/{quote(model, safe='@=,.-_')}:streamGenerateContent?alt=sse"
    return HttpRequest(url, headers, body)


# Translated tool lists, by the identity of the tuple a turn offers (kept alive here, so an id
# cannot be reused while its entry stands): a turn sends the same list at every step.
_DECLARED: dict[int, tuple[tuple[ToolSpec, ...], list[dict]]] = {}
DECLARED_KEPT = 8  # tool lists remembered (a race runs a few turns at once); the oldest goes first


def function_declarations(tools: tuple[ToolSpec, ...]) -> list[dict]:
    """The tools as Gemini declarations, translated once per tool list (the schema translation
    is most of the cost of building a request: ~1 ms a step for 21 MCP tools). Never mutated."""
    kept = _DECLARED.get(id(tools))
    if kept is not None and kept[0] is tools:
        return kept[1]
    declared = [function_declaration(spec) for spec in tools]
    if len(_DECLARED) >= DECLARED_KEPT:
        del _DECLARED[next(iter(_DECLARED))]
    _DECLARED[id(tools)] = (tools, declared)
    return declared


def function_declaration(spec: ToolSpec) -> dict:
    declaration: dict = {"name": spec.name, "description": spec.description}
    parameters = gemini_parameters(spec.parameters)
    if parameters is not None:  # a tool without arguments has none (an empty OBJECT is a 400)
        declaration["parameters"] = parameters
    return declaration


def round_contents(step: ToolRound, provider_id: str) -> list[dict]:
    """One tool step as Gemini made it: the model's text and `functionCall` parts (each with its
    `thoughtSignature` back on the same part, byte for byte), then the `functionResponse`
    parts in a user content (the shape google-genai's automatic function calling sends)."""
    said = ([{"text": step.text}] if has_words(step.text) else []) + [function_call_part(call, provider_id) for call in step.calls]
    answered = [function_response_part(result, _synthetic_ids(step)) for result in step.results]
    return ([{"role": "model", "parts": said}] if said else []) + ([{"role": "user", "parts": answered}] if answered else [])


def function_call_part(call: ToolCall, provider_id: str) -> dict:
    parsed = call.parsed()
    function_call: dict = {"name": call.name, "args": {} if parsed is None else parsed}
    if call.id and not call.extra.get("synthetic_id"):
        function_call["id"] = call.id  # only an id Gemini gave: a made-up one would be a lie to it
    part: dict = {"functionCall": function_call}
    signature = call.extra.get("thought_signature")
    if signature and call.provider == provider_id:  # a signature goes back only to its maker
        part["thoughtSignature"] = signature
    return part


def function_response_part(result: ToolResult, synthetic: set[str]) -> dict:
    """google-genai's FunctionResponse.response: "Use "output" key to specify function output
    and "error" key to specify error details"; images go in its `parts` (inline data)."""
    response: dict = {"name": result.name, "response": {"error" if result.is_error else "output": result.output}}
    if result.images:  # google-genai's FunctionResponse.parts: media that is part of the response
        response["parts"] = [{"inlineData": {"mimeType": image.media_type, "data": image.base64()}} for image in result.images]
    if result.call_id and result.call_id not in synthetic:
        response["id"] = result.call_id
    return {"functionResponse": response}


def _synthetic_ids(step: ToolRound) -> set[str]:
    return {call.id for call in step.calls if call.extra.get("synthetic_id")}


class GeminiDecoder(StreamDecoder):
    wire = "gemini"

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None
        self.calls = 0  # function calls so far: each is its own index (they arrive whole)

    def _decode(self, sse: ServerSentEvent) -> list[Event]:
        if not sse.data.strip():
            return []
        response = parse_json(sse.data)
        if not isinstance(response, dict):
            return self.malformed(sse)
        if response.get("error"):
            error = response["error"]
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            status = error.get("status", "") if isinstance(error, dict) else ""
            retryable = status in ("UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL")
            return in_stream_error("server", f"Gemini reported {status or 'an error'}: {message}", retryable)
        events: list[Event] = []
        candidates = response.get("candidates") or []
        if candidates:
            candidate = candidates[0]
            for part in (candidate.get("content") or {}).get("parts") or []:
                call = part.get("functionCall")
                if isinstance(call, dict):
                    events.append(self._call(call, part.get("thoughtSignature"), response.get("responseId")))
                    continue
                text = part.get("text")
                if not isinstance(text, str) or not text:
                    continue
                events.append(ThinkingDelta(text) if part.get("thought") else TextDelta(text))
            finish = candidate.get("finishReason")
            if finish and finish != "FINISH_REASON_UNSPECIFIED":
                # Gemini says STOP beside its function calls: with calls, the step ends in them.
                self.reason = "tool_use" if finish == "STOP" and self.calls else done_reason(FINISH_REASONS, finish)
        blocked = (response.get("promptFeedback") or {}).get("blockReason")
        if blocked:
            self.reason = "refusal"
        usage = mapping(response.get("usageMetadata"))
        if usage:
            candidates_tokens = plausible_count(usage.get("candidatesTokenCount"))
            thoughts = plausible_count(usage.get("thoughtsTokenCount"))
            output = None if candidates_tokens is None and thoughts is None else (candidates_tokens or 0) + (thoughts or 0)
            said = {
                "input_tokens": usage.get("promptTokenCount"),
                "output_tokens": usage.get("candidatesTokenCount") if output is None else output,
                "cached_tokens": usage.get("cachedContentTokenCount"),
                "reasoning_tokens": usage.get("thoughtsTokenCount"),
            }
            events += reported_usage(Usage(**said), said)
        return events

    def _call(self, call: Mapping[str, object], signature: object, response_id: object) -> ToolCallDelta:
        """A whole `functionCall` part as one fragment: `args` as compact JSON text, characters as
        they are (it parses back to the same object, and reads like other wires' arguments), the part's `thoughtSignature` to send back on it, and an id: Gemini's,
        or a made-up one (marked, never sent back) when it gave none."""
        index, self.calls = self.calls, self.calls + 1
        name = call.get("name") if isinstance(call.get("name"), str) else ""
        args = call.get("args")
        arguments = json.dumps(args if isinstance(args, dict) else {}, ensure_ascii=False, separators=(",", ":"))
        extra: tuple[tuple[str, str], ...] = (("thought_signature", signature),) if isinstance(signature, str) and signature else ()
        call_id = call.get("id")
        if isinstance(call_id, str) and call_id:
            return ToolCallDelta(index, call_id, name, arguments, extra)
        # Unique across the steps of a turn (each step is a new response) and a valid id for any wire.
        stem = re.sub(r"[^A-Za-z0-9_-]", "", response_id)[:40] if isinstance(response_id, str) else ""
        return ToolCallDelta(index, f"gemini_{stem or 'call'}_{index}", name, arguments, (*extra, ("synthetic_id", "1")))

    def _as_stream(self, payload: object) -> list[dict] | None:
        """`generateContent` answers with one GenerateContentResponse (or a list of them): stream chunks already."""
        responses = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(r, dict) and ("candidates" in r or "error" in r or "usageMetadata" in r) for r in responses):
            return None
        return responses

    def _finish(self) -> list[Event]:
        if self.reason is not None:
            return [Done(self.reason)]
        return super()._finish()

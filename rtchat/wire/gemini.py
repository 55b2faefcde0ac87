"""Google Gemini `streamGenerateContent?alt=sse`.

Each frame is a whole GenerateContentResponse; thought parts carry
`thought: true`. There is no end marker: the stream just ends, so the last
`finishReason` seen decides how the turn ended.
"""

from __future__ import annotations

from urllib.parse import quote

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Event, TextDelta, ThinkingDelta, Usage, plausible_count
from rtchat.target import key_headers
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder, alternating_turns, binary_attachments, done_reason, in_stream_error, mapping, parse_json, reported_usage, user_text
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
}


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
    contents = [
        {"role": "user", "parts": user_parts(message)} if message.role == "user" else {"role": "model", "parts": [{"text": message.text}]}
        for message in alternating_turns(conversation)
    ]
    generation: dict = {"thinkingConfig": thinking_config(options.effort, options.effort_style)}
    if options.max_tokens:
        generation["maxOutputTokens"] = options.max_tokens
    body: dict = {"contents": contents, "generationConfig": generation}
    if conversation.system:
        body["systemInstruction"] = {"parts": [{"text": conversation.system}]}
    body.update(options.extra_body)
    headers = {"Accept": "text/event-stream", **key_headers("gemini", key)}
    url = f"{base_url.rstrip('/')}/v1beta/models/{quote(model, safe='@=,.-_')}:streamGenerateContent?alt=sse"
    return HttpRequest(url, headers, body)


class GeminiDecoder(StreamDecoder):
    wire = "gemini"

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

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
                text = part.get("text")
                if not isinstance(text, str) or not text:
                    continue
                events.append(ThinkingDelta(text) if part.get("thought") else TextDelta(text))
            finish = candidate.get("finishReason")
            if finish and finish != "FINISH_REASON_UNSPECIFIED":
                self.reason = done_reason(FINISH_REASONS, finish)
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

"""Google Gemini (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`).

Frames are separated by CRLF like the real API, and there is no end marker:
the stream just ends after the chunk carrying `finishReason` and `usageMetadata`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .pacing import sse
from .scripts import Conversation, ERROR_STATUS, MODELS, Message, Script, Usage, decoded_size

if TYPE_CHECKING:
    from .exchange import Exchange

FINISH_REASON = {"complete": "STOP", "length": "MAX_TOKENS", "refusal": "SAFETY"}

ERROR_STATUSES = {
    "bad_request": "INVALID_ARGUMENT",
    "auth": "UNAUTHENTICATED",
    "permission": "PERMISSION_DENIED",
    "not_found": "NOT_FOUND",
    "rate_limit": "RESOURCE_EXHAUSTED",
    "server": "INTERNAL",
    "overloaded": "UNAVAILABLE",
}

STREAM_METHOD = "streamGenerateContent"
WHOLE_METHOD = "generateContent"


def error_body(kind: str, message: str) -> dict[str, Any]:
    code = ERROR_STATUS.get(kind, 500)
    return {"error": {"code": code, "message": message, "status": ERROR_STATUSES.get(kind, "INTERNAL")}}


def model_list(models: dict[str, str]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": f"models/{name}",
                "version": "1",
                "displayName": name,
                "description": description,
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 65_536,
                "supportedGenerationMethods": [WHOLE_METHOD, STREAM_METHOD],
                "thinking": True,
            }
            for name, description in models.items()
        ]
    }


def _field(mapping: Any, camel: str, snake: str) -> Any:
    """Google's JSON accepts both lowerCamel and snake_case field names."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(camel, mapping.get(snake))


def inline_files(content: Any) -> tuple[tuple[str, int], ...]:
    """(media type, bytes) of `inlineData` (or `inline_data`) parts."""
    parts = _field(content, "parts", "parts")
    found = []
    for part in parts if isinstance(parts, list) else []:
        inline = _field(part, "inlineData", "inline_data") if isinstance(part, dict) else None
        if isinstance(inline, dict):
            found.append((str(_field(inline, "mimeType", "mime_type") or ""), decoded_size(str(inline.get("data", "")))))
    return tuple(found)


def parts_text(content: Any) -> str:
    parts = _field(content, "parts", "parts")
    if not isinstance(parts, list):
        return ""
    return "".join(
        part.get("text", "") for part in parts if isinstance(part, dict) and not part.get("thought")
    )


def usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.text_tokens,
        "thoughtsTokenCount": usage.thinking_tokens,
        "cachedContentTokenCount": usage.cached_tokens,
        "totalTokenCount": usage.total_tokens,
    }


def register(app: web.Application, exchange: Exchange) -> None:
    """The model is everything before the final `:method`, so names may hold `@ = , .`."""
    handler = exchange.handler(Gemini())
    app.router.add_post("/v1beta/models/{model:.+}:" + STREAM_METHOD, handler)
    app.router.add_post("/v1beta/models/{model:.+}:" + WHOLE_METHOD, handler)
    app.router.add_get("/v1beta/models", list_models)


async def list_models(request: web.Request) -> web.Response:
    return web.json_response(model_list(MODELS))


class Gemini:
    name = "gemini"

    def model_name(self, request: web.Request, body: dict) -> str:
        return request.match_info["model"]

    def wants_stream(self, request: web.Request, body: dict) -> bool:
        return request.path.endswith(":" + STREAM_METHOD)

    def wants_thinking(self, body: dict) -> bool:
        config = _field(_field(body, "generationConfig", "generation_config"), "thinkingConfig", "thinking_config")
        if not _field(config, "includeThoughts", "include_thoughts"):
            return False
        return _field(config, "thinkingBudget", "thinking_budget") != 0

    def validate(self, body: dict) -> tuple[str, str] | None:
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return "bad_request", "* GenerateContentRequest.contents: contents is not specified"
        return None

    def conversation(self, body: dict) -> Conversation:
        messages = tuple(
            Message("assistant" if content.get("role") == "model" else "user", parts_text(content), inline_files(content))
            for content in body.get("contents", [])
            if isinstance(content, dict)
        )
        return Conversation(parts_text(_field(body, "systemInstruction", "system_instruction")), messages)

    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return error_body(kind, message)

    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> GeminiStream:
        return GeminiStream(model)

    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if script.thinking:
            parts.append({"text": script.thinking, "thought": True})
        parts.append({"text": script.text})
        return _response(model, f"loopback-{uuid.uuid4().hex[:16]}", parts, FINISH_REASON[script.stop], usage)


def _response(
    model: str, response_id: str, parts: list[dict[str, Any]], finish: str | None = None, usage: Usage | None = None
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    response: dict[str, Any] = {"candidates": [candidate]}
    if usage is not None:
        response["usageMetadata"] = usage_json(usage)
    response["modelVersion"] = model
    response["responseId"] = response_id
    return response


class GeminiStream:
    """One GenerateContentResponse per token; the last one carries finishReason and usage."""

    def __init__(self, model: str):
        self.model = model
        self.id = f"loopback-{uuid.uuid4().hex[:16]}"

    def _frame(self, data: dict[str, Any]) -> str:
        return sse(data, newline="\r\n")

    def opening(self) -> list[str]:
        return []

    def token(self, kind: str, piece: str) -> list[str]:
        part: dict[str, Any] = {"text": piece, "thought": True} if kind == "thinking" else {"text": piece}
        return [self._frame(_response(self.model, self.id, [part]))]

    def closing(self, stop: str, usage: Usage) -> list[str]:
        return [self._frame(_response(self.model, self.id, [{"text": ""}], FINISH_REASON[stop], usage))]

    def error_frames(self, message: str) -> list[str]:
        return [self._frame(error_body("server", message))]

    def malformed_frame(self) -> str:
        return 'data: {"choices": [\r\n\r\n'

    def keepalive(self) -> str:
        return ": keep-alive\r\n\r\n"

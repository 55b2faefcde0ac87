"""Google Gemini (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`).

Frames are separated by CRLF like the real API, and there is no end marker:
the stream just ends after the chunk carrying `finishReason` and `usageMetadata`.
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

from .pacing import sse
from .scripts import Conversation, ERROR_STATUS, MODELS, Message, Script, ToolTurn, Usage, decoded_size
from .tool_model import Call, Result, Step, Tool, call_id, check_steps, same_json

if TYPE_CHECKING:
    from .exchange import Exchange

FINISH_REASON = {"complete": "STOP", "length": "MAX_TOKENS", "refusal": "SAFETY", "tool_use": "STOP"}
CALL_ID_PREFIX = "call_"
SIGNATURE_SECRET = b"rtchat-loopback-gemini-thought-signature-v1"
MISSING_SIGNATURE = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, "
    "and missing thought_signature may lead to degraded model performance. Additional data, function call "
    "`default_api:{name}` , position {position}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
RESPONSE_COUNT = (
    "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn."
)
RESPONSE_PLACE = "Please ensure that function response turn comes immediately after a function call turn."

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


def error_body(kind: str, message: str, param: str | None = None) -> dict[str, Any]:
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


# ---------------------------------------------------------------- tools


def thought_signature(call: Call) -> str:
    """The opaque signature the loopback puts on the first functionCall part of a step (base64, like
    Gemini's); bound to the call's id and name, so a client must send it back on that same part."""
    digest = hmac.new(SIGNATURE_SECRET, f"{call.id}:{call.name}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def call_part(call: Call, *, signed: bool) -> dict[str, Any]:
    part: dict[str, Any] = {"functionCall": {"id": call.id, "name": call.name, "args": json.loads(call.arguments)}}
    if signed:
        part["thoughtSignature"] = thought_signature(call)
    return part


def call_parts(calls: tuple[Call, ...]) -> list[dict[str, Any]]:
    """A step's calls as parts; like Gemini, only the step's first call carries the signature."""
    return [call_part(call, signed=index == 0) for index, call in enumerate(calls)]


def offered_tools(body: dict) -> tuple[Tool, ...]:
    """`tools[].functionDeclarations[]` (`parameters`, or `parametersJsonSchema`)."""
    found = []
    for tool in body.get("tools") or []:
        declarations = _field(tool, "functionDeclarations", "function_declarations")
        for declaration in declarations if isinstance(declarations, list) else []:
            if isinstance(declaration, dict) and isinstance(declaration.get("name"), str):
                schema = declaration.get("parameters") or _field(declaration, "parametersJsonSchema", "parameters_json_schema") or {}
                found.append(Tool(declaration["name"], schema))
    return tuple(found)


def _parts(content: Any, kind: str, snake: str) -> list[tuple[dict, dict]]:
    """(part, its `kind` object) for each part of that kind."""
    parts = _field(content, "parts", "parts")
    found = []
    for part in parts if isinstance(parts, list) else []:
        inner = _field(part, kind, snake) if isinstance(part, dict) else None
        if isinstance(inner, dict):
            found.append((part, inner))
    return found


def is_responses(content: dict) -> bool:
    """A user content of functionResponse parts: part of the answer's rounds, not a prompt."""
    return content.get("role") != "model" and bool(_parts(content, "functionResponse", "function_response"))


def _calls(content: dict) -> list[tuple[dict, dict]]:
    return _parts(content, "functionCall", "function_call") if content.get("role") == "model" else []


def _last_prompt(contents: list[dict]) -> int:
    return max((i for i, c in enumerate(contents) if c.get("role") != "model" and not is_responses(c)), default=-1)


def tool_turn(contents: list[dict], tools: tuple[Tool, ...]) -> ToolTurn:
    """This answer's rounds; a call or response sent back without its (optional) id takes the one at its place."""
    last = _last_prompt(contents)
    earlier = sum(len(_calls(content)) for content in contents[: last + 1])
    steps: list[Step] = []
    number = earlier + 1
    for content in contents[last + 1 :]:
        calls = []
        for _, call in _calls(content):
            calls.append(Call(str(call.get("id") or call_id(CALL_ID_PREFIX, number)), str(call.get("name", "")), json.dumps(call.get("args", {}), ensure_ascii=False, separators=(",", ":"))))
            number += 1
        if calls:
            steps.append(Step(tuple(calls)))
        elif is_responses(content) and steps:
            ids = [call.id for call in steps[-1].calls]
            results = tuple(
                Result(str(response.get("id") or (ids[n] if n < len(ids) else "")), response_text(response.get("response")))
                for n, (_, response) in enumerate(_parts(content, "functionResponse", "function_response"))
            )
            steps[-1] = Step(steps[-1].calls, steps[-1].results + results)
    return ToolTurn(tools, tuple(steps), earlier, CALL_ID_PREFIX)


def response_text(response: Any) -> str:
    """A functionResponse's `response` object as the model quotes it: the text of a one-field object
    (`{"output": "12:00"}` or `{"result": ...}`, however the client names it), else its JSON."""
    if isinstance(response, dict) and len(response) == 1:
        (value,) = response.values()
        if isinstance(value, str):
            return value
    return json.dumps(response, ensure_ascii=False)


def pairing_problem(contents: list[dict]) -> str | None:
    """Gemini's own rule, in its words: a function response turn right after its call turn, one response per call."""
    for index, content in enumerate(contents):
        if not is_responses(content):
            continue
        calls = _calls(contents[index - 1]) if index > 0 else []
        if not calls:
            return RESPONSE_PLACE
        if len(calls) != len(_parts(content, "functionResponse", "function_response")):
            return RESPONSE_COUNT
    return None


def signature_problem(contents: list[dict], steps: tuple[Step, ...]) -> str | None:
    """This answer's steps: each one's first functionCall part must carry the signature sent on it, byte for byte."""
    model_turns = [index for index in range(_last_prompt(contents) + 1, len(contents)) if _calls(contents[index])]
    for index, step in zip(model_turns, steps):
        part, call = _calls(contents[index])[0]
        signature = _field(part, "thoughtSignature", "thought_signature")
        if signature is None:
            return MISSING_SIGNATURE.format(name=call.get("name", ""), position=index + 1)
        if not isinstance(signature, str) or not hmac.compare_digest(signature, thought_signature(step.calls[0])):
            return "Corrupted thought signature."
    return None


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
            if isinstance(content, dict) and not is_responses(content)
        )
        contents = [c for c in body.get("contents", []) if isinstance(c, dict)]
        system = parts_text(_field(body, "systemInstruction", "system_instruction"))
        return replace(Conversation(system, messages), tools=tool_turn(contents, offered_tools(body)))

    def tool_problem(self, body: dict, conversation: Conversation) -> tuple[str, str | None] | None:
        contents = [c for c in body.get("contents", []) if isinstance(c, dict)]
        tools = conversation.tools
        problem = pairing_problem(contents) or signature_problem(contents, tools.steps)
        if problem:
            return problem, None
        mismatch = check_steps(
            tools.offered, conversation.prompt, tools.steps, first_number=tools.first_number, id_prefix=tools.id_prefix, same_arguments=same_json
        )
        return (f"* GenerateContentRequest.contents: the function calls do not match what the model sent: {mismatch.message}", None) if mismatch else None

    def error_body(self, kind: str, message: str, param: str | None = None) -> dict[str, Any]:
        return error_body(kind, message)

    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> GeminiStream:
        return GeminiStream(model, script.calls)

    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if script.thinking:
            parts.append({"text": script.thinking, "thought": True})
        if script.text or not script.calls:
            parts.append({"text": script.text})
        parts += call_parts(script.calls)
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

    def __init__(self, model: str, calls: tuple[Call, ...] = ()):
        self.model = model
        self.id = f"loopback-{uuid.uuid4().hex[:16]}"
        self.calls = calls
        self.started_calls: set[int] = set()

    def _frame(self, data: dict[str, Any]) -> str:
        return sse(data, newline="\r\n")

    def opening(self) -> list[str]:
        return []

    def token(self, kind: str, piece: str) -> list[str]:
        if kind.startswith("call:"):
            return self._call(int(kind[5:]))
        part: dict[str, Any] = {"text": piece, "thought": True} if kind == "thinking" else {"text": piece}
        return [self._frame(_response(self.model, self.id, [part]))]

    def _call(self, index: int) -> list[str]:
        """Gemini sends a functionCall whole (args as an object), in one chunk: nothing more for its later pieces."""
        if index in self.started_calls:
            return []
        self.started_calls.add(index)
        part = call_part(self.calls[index], signed=index == 0)
        return [self._frame(_response(self.model, self.id, [part]))]

    def closing(self, stop: str, usage: Usage) -> list[str]:
        return [self._frame(_response(self.model, self.id, [{"text": ""}], FINISH_REASON[stop], usage))]

    def error_frames(self, message: str) -> list[str]:
        return [self._frame(error_body("server", message))]

    def malformed_frame(self) -> str:
        return 'data: {"choices": [\r\n\r\n'

    def keepalive(self) -> str:
        return ": keep-alive\r\n\r\n"

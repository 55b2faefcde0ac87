"""OpenAI-compatible Chat Completions (`POST /v1/chat/completions`), DeepSeek flavoured.

Reasoning goes out as `delta.reasoning_content`; usage carries both OpenAI's
`*_tokens_details` and DeepSeek's `prompt_cache_hit/miss_tokens`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .body_wire import BodyNamedModel
from .frames import data_url_parts
from .pacing import sse
from .scripts import Conversation, Message, Script, ToolTurn, Usage, decoded_size
from .tool_model import Call, Result, Step, Tool, check_steps

if TYPE_CHECKING:
    from .exchange import Exchange

FINISH_REASON = {"complete": "stop", "length": "length", "refusal": "stop", "tool_use": "tool_calls"}
CALL_ID_PREFIX = "call_"
DELTA_FIELD = {"thinking": "reasoning_content", "text": "content", "refusal": "refusal"}

ERROR_SHAPES = {  # kind -> (type, code)
    "bad_request": ("invalid_request_error", None),
    "auth": ("invalid_request_error", "invalid_api_key"),
    "permission": ("permission_error", "permission_denied"),
    "not_found": ("invalid_request_error", "model_not_found"),
    "rate_limit": ("requests", "rate_limit_exceeded"),
    "server": ("server_error", None),
    "overloaded": ("server_error", "overloaded"),
}


def error_body(kind: str, message: str, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope, shared by Chat Completions and Responses."""
    error_type, code = ERROR_SHAPES.get(kind, ("invalid_request_error", None))
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def model_list(models: dict[str, str]) -> dict[str, Any]:
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "loopback"} for name in models]
    return {"object": "list", "data": data}


def content_text(content: Any) -> str:
    """A message's text, whether content is a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def content_files(content: Any) -> tuple[tuple[str, int], ...]:
    """(media type, bytes) of the data-URL parts: Chat `image_url`/`file`, Responses `input_image`/`input_file`."""
    if not isinstance(content, list):
        return ()
    found = []
    for part in content:
        if not isinstance(part, dict):
            continue
        url = (part.get("image_url") or {}).get("url") if isinstance(part.get("image_url"), dict) else part.get("image_url")
        url = url or (part.get("file") or {}).get("file_data") or part.get("file_data")
        parts = data_url_parts(url)
        if parts is not None:
            found.append((parts[0], decoded_size(parts[1])))
    return tuple(found)


def usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
        "prompt_cache_hit_tokens": usage.cached_tokens,
        "prompt_cache_miss_tokens": usage.input_tokens - usage.cached_tokens,
    }


def conversation_of(messages: list[dict], system: list[str] | None = None) -> Conversation:
    """OpenAI-style role/content messages (Chat Completions `messages`, Responses `input`) as a script conversation."""
    system = list(system or [])
    turns: list[Message] = []
    for message in messages:
        role, text = message.get("role"), content_text(message.get("content"))
        if role in ("system", "developer"):
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append(Message(role, text, content_files(message.get("content"))))
    return Conversation("\n\n".join(system), tuple(turns))


# ---------------------------------------------------------------- tools


def mismatch_words(message: str) -> str:
    """A follow-up that is not what the loopback `tools` model sent (no real API checks this; worded like one)."""
    return f"Invalid tool call history: {message}."


def chat_tools(body: dict) -> tuple[Tool, ...]:
    """`tools: [{type: "function", function: {name, parameters}}]`."""
    functions = [tool.get("function") for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") == "function"]
    return tuple(Tool(f["name"], f.get("parameters") or {}) for f in functions if isinstance(f, dict) and isinstance(f.get("name"), str))


def _tool_calls(message: dict) -> list[dict]:
    calls = message.get("tool_calls") if message.get("role") == "assistant" else None
    return [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []


def _last_prompt(messages: list[dict]) -> int:
    return max((index for index, message in enumerate(messages) if message.get("role") == "user"), default=-1)


def chat_tool_turn(messages: list[dict], tools: tuple[Tool, ...]) -> ToolTurn:
    """This answer's rounds: assistant `tool_calls` after the last user message, then the `role: tool` answers."""
    last = _last_prompt(messages)
    steps: list[Step] = []
    for message in messages[last + 1 :]:
        calls = _tool_calls(message)
        if calls:
            function = [call.get("function") if isinstance(call.get("function"), dict) else {} for call in calls]
            received = tuple(Call(str(c.get("id", "")), str(f.get("name", "")), str(f.get("arguments", ""))) for c, f in zip(calls, function))
            steps.append(Step(received))
        elif message.get("role") == "tool" and steps:
            result = Result(str(message.get("tool_call_id", "")), content_text(message.get("content")))
            steps[-1] = Step(steps[-1].calls, steps[-1].results + (result,))
    earlier = sum(len(_tool_calls(message)) for message in messages[: last + 1])
    return ToolTurn(tools, tuple(steps), earlier, CALL_ID_PREFIX)


def chat_tool_problem(messages: list[dict], conversation: Conversation) -> tuple[str, str | None] | None:
    """OpenAI's own checks of tool messages (its words), then the replay of what the model sent."""
    pending: list[str] = []
    asked_at = 0
    for index, message in enumerate(messages):
        if message.get("role") == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                return "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.", f"messages.[{index}].tool_call_id"
            if call_id not in pending:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                    f"messages.[{index}].role",
                )
            pending.remove(call_id)
            continue
        if pending:
            break
        pending = [str(call.get("id", "")) for call in _tool_calls(message)]
        asked_at = index
    if pending:
        return (
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
            f"The following tool_call_ids did not have response messages: {', '.join(pending)}",
            f"messages.[{asked_at}].role",
        )
    tools = conversation.tools
    mismatch = check_steps(tools.offered, conversation.prompt, tools.steps, first_number=tools.first_number, id_prefix=tools.id_prefix)
    return (mismatch_words(mismatch.message), "messages") if mismatch else None


def register(app: web.Application, exchange: Exchange) -> None:
    app.router.add_post("/v1/chat/completions", exchange.handler(OpenAIChat()))
    app.router.add_post(AZURE_CHAT_PATH, exchange.handler(AzureChat()))


class OpenAIChat(BodyNamedModel):
    name = "openai_chat"

    def wants_thinking(self, body: dict) -> bool:
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") == "disabled":
            return False
        return body.get("reasoning_effort") not in ("none", "minimal")

    def validate(self, body: dict) -> tuple[str, str] | None:
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return "bad_request", "`messages` must be a non-empty array"
        return None

    def conversation(self, body: dict) -> Conversation:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        return replace(conversation_of(messages), tools=chat_tool_turn(messages, chat_tools(body)))

    def tool_problem(self, body: dict, conversation: Conversation) -> tuple[str, str | None] | None:
        return chat_tool_problem([m for m in body.get("messages", []) if isinstance(m, dict)], conversation)

    def error_body(self, kind: str, message: str, param: str | None = None) -> dict[str, Any]:
        return error_body(kind, message, param)

    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> ChatStream:
        options = body.get("stream_options") or {}
        return ChatStream(model, include_usage=bool(options.get("include_usage")), calls=script.calls)

    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        message["refusal" if script.answer_kind == "refusal" else "content"] = script.text
        if script.calls:
            message["content"] = script.text or None
            message["tool_calls"] = [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}} for call in script.calls
            ]
        if script.thinking:
            message["reasoning_content"] = script.thinking
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": FINISH_REASON[script.stop]}
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_loopback",
            "choices": [choice],
            "usage": usage_json(usage),
        }


class ChatStream:
    """The `chat.completion.chunk` frames of one streamed answer."""

    def __init__(self, model: str, *, include_usage: bool, calls: tuple[Call, ...] = ()):
        self.model = model
        self.include_usage = include_usage
        self.calls = calls
        self.started_calls: set[int] = set()
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_loopback",
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = None
        chunk.update(extra)
        return sse(chunk)

    def _choice(self, delta: dict[str, Any], finish_reason: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]

    def opening(self) -> list[str]:
        return [self._chunk(self._choice({"role": "assistant", "content": ""}))]

    def token(self, kind: str, piece: str) -> list[str]:
        if kind.startswith("call:"):
            return self._call_piece(int(kind[5:]), piece)
        return [self._chunk(self._choice({DELTA_FIELD[kind]: piece}))]

    def _call_piece(self, index: int, piece: str) -> list[str]:
        """The first fragment names the call (id, type, name, empty arguments); then arguments by index."""
        frames = []
        if index not in self.started_calls:
            self.started_calls.add(index)
            call = self.calls[index]
            head = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
            frames.append(self._chunk(self._choice({"tool_calls": [head]})))
        frames.append(self._chunk(self._choice({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})))
        return frames

    def closing(self, stop: str, usage: Usage) -> list[str]:
        frames = [self._chunk(self._choice({}, FINISH_REASON[stop]))]
        if self.include_usage:
            frames.append(self._chunk([], usage=usage_json(usage)))
        frames.append(sse("[DONE]"))
        return frames

    def error_frames(self, message: str) -> list[str]:
        return [sse({"error": {"message": message, "type": "server_error", "code": 500}})]

    def malformed_frame(self) -> str:
        return 'data: {"choices": [\n\n'

    def keepalive(self) -> str:
        return ": keep-alive\n\n"


AZURE_CHAT_PATH = "/openai/deployments/{deployment}/chat/completions"


class AzureChat(OpenAIChat):
    """Azure OpenAI's Chat Completions: the deployment in the path, the body's `model` ignored."""

    def model_name(self, request: web.Request, body: dict) -> str:
        return request.match_info["deployment"]

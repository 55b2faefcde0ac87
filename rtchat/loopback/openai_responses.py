"""OpenAI Responses (`POST /v1/responses`): typed, numbered `response.*` events.

The output is a list of items (a reasoning item, then a message); each item and
content part is announced, streamed and closed, as the official SDK expects.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .body_wire import BodyNamedModel
from .openai_chat import CALL_ID_PREFIX, content_text, conversation_of, error_body, mismatch_words
from .pacing import sse
from .scripts import Conversation, Script, ToolTurn, Usage
from .tool_model import Call, Result, Step, Tool, check_steps

if TYPE_CHECKING:
    from .exchange import Exchange

INCOMPLETE = {"reason": "max_output_tokens"}


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def _reasoning(body: dict) -> dict[str, Any]:
    reasoning = body.get("reasoning")
    return reasoning if isinstance(reasoning, dict) else {}


def usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
        "total_tokens": usage.total_tokens,
    }


def reasoning_item(item_id: str, summary: str | None) -> dict[str, Any]:
    parts = [] if summary is None else [{"type": "summary_text", "text": summary}]
    return {"id": item_id, "type": "reasoning", "summary": parts}


def content_part(kind: str, text: str) -> dict[str, Any]:
    if kind == "refusal":
        return {"type": "refusal", "refusal": text}
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(item_id: str, status: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": parts}


def response_object(
    response_id: str,
    created: int,
    model: str,
    body: dict,
    status: str,
    output: list[dict[str, Any]],
    **fields: Any,
) -> dict[str, Any]:
    reasoning = _reasoning(body)
    response = {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort", "medium"), "summary": reasoning.get("summary")},
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": body.get("tools") if isinstance(body.get("tools"), list) else [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": None,
        "metadata": {},
    }
    response.update(fields)
    return response


# ---------------------------------------------------------------- tools


def item_id(call: Call) -> str:
    """A function_call item's own id (`fc_<n>`), apart from the `call_id` its output names."""
    return "fc_" + call.id.removeprefix(CALL_ID_PREFIX)


def function_call_item(call: Call, status: str, arguments: str) -> dict[str, Any]:
    return {"id": item_id(call), "type": "function_call", "status": status, "arguments": arguments, "call_id": call.id, "name": call.name}


def offered_tools(body: dict) -> tuple[Tool, ...]:
    """`tools: [{type: "function", name, parameters}]`."""
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") == "function"]
    return tuple(Tool(tool["name"], tool.get("parameters") or {}) for tool in tools if isinstance(tool.get("name"), str))


def input_items(body: dict) -> list[dict]:
    items = body.get("input")
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    return [item for item in items or [] if isinstance(item, dict)]


def _kind(item: dict) -> str:
    return str(item.get("type", "message"))


def tool_turn(items: list[dict], tools: tuple[Tool, ...]) -> ToolTurn:
    """This answer's rounds: `function_call` items after the last user message, then their `function_call_output`s."""
    last = max((i for i, item in enumerate(items) if _kind(item) == "message" and item.get("role") == "user"), default=-1)
    steps: list[Step] = []
    for item in items[last + 1 :]:
        if _kind(item) == "function_call":
            call = Call(str(item.get("call_id", "")), str(item.get("name", "")), str(item.get("arguments", "")))
            if not steps or steps[-1].results:
                steps.append(Step(()))
            steps[-1] = Step(steps[-1].calls + (call,))
        elif _kind(item) == "function_call_output" and steps:
            output = item.get("output")
            result = Result(str(item.get("call_id", "")), output if isinstance(output, str) else content_text(output))  # text, or input_text/input_image parts
            steps[-1] = Step(steps[-1].calls, steps[-1].results + (result,))
    earlier = sum(1 for item in items[: last + 1] if _kind(item) == "function_call")
    return ToolTurn(tools, tuple(steps), earlier, CALL_ID_PREFIX)


def pairing_problem(items: list[dict]) -> str | None:
    """OpenAI's own rule, in its words: an output needs its call in the input, and a call its output."""
    calls = [str(item.get("call_id", "")) for item in items if _kind(item) == "function_call"]
    outputs = [str(item.get("call_id", "")) for item in items if _kind(item) == "function_call_output"]
    for call_id in outputs:
        if call_id not in calls:
            return f"No tool call found for function call output with call_id {call_id}."
    for call_id in calls:
        if call_id not in outputs:
            return f"No tool output found for function call {call_id}."
    return None


def register(app: web.Application, exchange: Exchange) -> None:
    app.router.add_post("/v1/responses", exchange.handler(OpenAIResponses()))


class OpenAIResponses(BodyNamedModel):
    name = "openai_responses"

    def reasons(self, body: dict) -> bool:
        """Whether a reasoning item is produced at all (summary or not)."""
        return _reasoning(body).get("effort", "medium") != "none"

    def wants_thinking(self, body: dict) -> bool:
        return self.reasons(body) and bool(_reasoning(body).get("summary"))

    def validate(self, body: dict) -> tuple[str, str] | None:
        if not isinstance(body.get("input"), (str, list)):
            return "bad_request", "Missing required parameter: 'input'."
        return None

    def conversation(self, body: dict) -> Conversation:
        system = [body["instructions"]] if isinstance(body.get("instructions"), str) else []
        items = input_items(body)
        messages = [item for item in items if _kind(item) == "message"]
        return replace(conversation_of(messages, system), tools=tool_turn(items, offered_tools(body)))

    def tool_problem(self, body: dict, conversation: Conversation) -> tuple[str, str | None] | None:
        problem = pairing_problem(input_items(body))
        if problem:
            return problem, "input"
        tools = conversation.tools
        mismatch = check_steps(tools.offered, conversation.prompt, tools.steps, first_number=tools.first_number, id_prefix=tools.id_prefix)
        return (mismatch_words(mismatch.message), "input") if mismatch else None

    def error_body(self, kind: str, message: str, param: str | None = None) -> dict[str, Any]:
        return error_body(kind, message, param)

    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> ResponsesStream:
        return ResponsesStream(model, body, script, reasons=self.reasons(body))

    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]:
        output = []
        if self.reasons(body):
            output.append(reasoning_item(_new_id("rs"), script.thinking or None))
        status = "incomplete" if script.stop == "length" else "completed"
        if script.text or not script.calls:
            output.append(message_item(_new_id("msg"), status, [content_part(script.answer_kind, script.text)]))
        output += [function_call_item(call, "completed", call.arguments) for call in script.calls]
        return response_object(
            _new_id("resp"),
            int(time.time()),
            model,
            body,
            status,
            output,
            usage=usage_json(usage),
            incomplete_details=INCOMPLETE if status == "incomplete" else None,
        )


class ResponsesStream:
    """The `response.*` events of one streamed response, numbered in order."""

    def __init__(self, model: str, body: dict, script: Script, *, reasons: bool):
        self.model = model
        self.body = body
        self.script = script
        self.reasons = reasons
        self.id = _new_id("resp")
        self.created = int(time.time())
        self.sequence = 0
        self.output: list[dict[str, Any]] = []
        self.kind: str | None = None  # kind of the open item: "thinking" | "text" | "refusal" | "call:<n>"
        self.item_id = ""
        self.text = ""

    def _event(self, name: str, **fields: Any) -> str:
        frame = sse({"type": name, "sequence_number": self.sequence, **fields}, event=name)
        self.sequence += 1
        return frame

    def _response(self, status: str, **fields: Any) -> dict[str, Any]:
        return response_object(self.id, self.created, self.model, self.body, status, list(self.output), **fields)

    def opening(self) -> list[str]:
        frames = [
            self._event("response.created", response=self._response("in_progress")),
            self._event("response.in_progress", response=self._response("in_progress")),
        ]
        if self.reasons and not self.script.thinking:
            item = reasoning_item(_new_id("rs"), None)
            frames.append(self._event("response.output_item.added", output_index=len(self.output), item=item))
            frames.append(self._event("response.output_item.done", output_index=len(self.output), item=item))
            self.output.append(item)
        return frames

    def token(self, kind: str, piece: str) -> list[str]:
        frames = [] if kind == self.kind else self._close() + self._open(kind)
        self.text += piece
        where = {"item_id": self.item_id, "output_index": len(self.output)}
        if kind.startswith("call:"):
            frames.append(self._event("response.function_call_arguments.delta", **where, delta=piece))
        elif kind == "thinking":
            frames.append(self._event("response.reasoning_summary_text.delta", **where, summary_index=0, delta=piece))
        elif kind == "refusal":
            frames.append(self._event("response.refusal.delta", **where, content_index=0, delta=piece))
        else:
            frames.append(
                self._event("response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[])
            )
        return frames

    def _open(self, kind: str) -> list[str]:
        self.kind, self.text = kind, ""
        index = len(self.output)
        if kind.startswith("call:"):
            call = self.script.calls[int(kind[5:])]
            self.item_id = item_id(call)
            return [self._event("response.output_item.added", output_index=index, item=function_call_item(call, "in_progress", ""))]
        if kind == "thinking":
            self.item_id = _new_id("rs")
            return [
                self._event("response.output_item.added", output_index=index, item=reasoning_item(self.item_id, None)),
                self._event(
                    "response.reasoning_summary_part.added",
                    item_id=self.item_id,
                    output_index=index,
                    summary_index=0,
                    part={"type": "summary_text", "text": ""},
                ),
            ]
        self.item_id = _new_id("msg")
        return [
            self._event(
                "response.output_item.added", output_index=index, item=message_item(self.item_id, "in_progress", [])
            ),
            self._event(
                "response.content_part.added",
                item_id=self.item_id,
                output_index=index,
                content_index=0,
                part=content_part(kind, ""),
            ),
        ]

    def _close(self, status: str = "completed") -> list[str]:
        if self.kind is None:
            return []
        where = {"item_id": self.item_id, "output_index": len(self.output)}
        if self.kind.startswith("call:"):
            item = function_call_item(self.script.calls[int(self.kind[5:])], "completed", self.text)
            frames = [self._event("response.function_call_arguments.done", **where, arguments=self.text)]
        elif self.kind == "thinking":
            item = reasoning_item(self.item_id, self.text)
            frames = [
                self._event("response.reasoning_summary_text.done", **where, summary_index=0, text=self.text),
                self._event(
                    "response.reasoning_summary_part.done",
                    **where,
                    summary_index=0,
                    part={"type": "summary_text", "text": self.text},
                ),
            ]
        else:
            part = content_part(self.kind, self.text)
            item = message_item(self.item_id, status, [part])
            if self.kind == "refusal":
                done = self._event("response.refusal.done", **where, content_index=0, refusal=self.text)
            else:
                done = self._event("response.output_text.done", **where, content_index=0, text=self.text, logprobs=[])
            frames = [done, self._event("response.content_part.done", **where, content_index=0, part=part)]
        frames.append(self._event("response.output_item.done", output_index=len(self.output), item=item))
        self.output.append(item)
        self.kind = None
        return frames

    def closing(self, stop: str, usage: Usage) -> list[str]:
        if stop == "length":
            frames = self._close("incomplete")
            response = self._response("incomplete", usage=usage_json(usage), incomplete_details=INCOMPLETE)
            return frames + [self._event("response.incomplete", response=response)]
        frames = self._close()
        response = self._response("completed", usage=usage_json(usage), completed_at=int(time.time()))
        return frames + [self._event("response.completed", response=response)]

    def error_frames(self, message: str) -> list[str]:
        error = {"code": "server_error", "message": message}
        return [
            self._event("error", **error, param=None),
            self._event("response.failed", response=self._response("failed", error=error)),
        ]

    def malformed_frame(self) -> str:
        return 'event: response.output_text.delta\ndata: {"choices": [\n\n'

    def keepalive(self) -> str:
        return ": keep-alive\n\n"

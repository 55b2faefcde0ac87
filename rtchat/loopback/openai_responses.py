"""OpenAI Responses (`POST /v1/responses`): typed, numbered `response.*` events.

The output is a list of items (a reasoning item, then a message); each item and
content part is announced, streamed and closed, as the official SDK expects.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .body_wire import BodyNamedModel
from .openai_chat import conversation_of, error_body
from .pacing import sse
from .scripts import Conversation, Script, Usage

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
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": None,
        "metadata": {},
    }
    response.update(fields)
    return response


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
        items = body.get("input")
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
        messages = [item for item in items or [] if isinstance(item, dict) and item.get("type", "message") == "message"]
        return conversation_of(messages, system)

    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return error_body(kind, message)

    def renderer(self, model: str, body: dict, script: Script, usage: Usage) -> ResponsesStream:
        return ResponsesStream(model, body, script, reasons=self.reasons(body))

    def whole(self, model: str, body: dict, script: Script, usage: Usage) -> dict[str, Any]:
        output = []
        if self.reasons(body):
            output.append(reasoning_item(_new_id("rs"), script.thinking or None))
        status = "incomplete" if script.stop == "length" else "completed"
        output.append(message_item(_new_id("msg"), status, [content_part(script.answer_kind, script.text)]))
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
        self.kind: str | None = None  # kind of the open item: "thinking" | "text" | "refusal"
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
        if kind == "thinking":
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
        if self.kind == "thinking":
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

"""OpenAI Responses API: the same `response.*` events over SSE or the Responses WebSocket.

`ResponsesSocketProtocol` is WebSocket mode's session object (pure, like the
other socket protocols): each turn sends the whole conversation, so a fresh
socket needs no rebuilding and the server's context is never relied on.

Tool calls: flat `function` tools out; `function_call` items in (`ResponseCalls`), with the
reasoning items before each call kept in its extra; an answer's tool steps go back as those
reasoning items, `function_call` items and `function_call_output` items.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from rtchat.conversation import ChatMessage, Conversation, ToolResult, ToolRound, has_words
from rtchat.events import Done, Error, Event, TextDelta, ThinkingDelta, ToolCallDelta, Usage
from rtchat.target import key_headers
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder, binary_attachments, in_stream_error, mapping, parse_json, reported_cost, reported_usage, user_text
from rtchat.wire.socket_protocol import FrameQueues, ServerContext, decode_frame
from rtchat.wire.sse import ServerSentEvent

EFFORT = {"off": "minimal", "low": "low", "medium": "medium", "high": "high", "max": "high"}

INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "refusal"}


def input_content(message: ChatMessage) -> str | list[dict]:
    binary = binary_attachments(message)
    if not binary:
        return user_text(message)
    parts: list[dict] = [{"type": "input_text", "text": user_text(message)}]
    for attachment in binary:
        if attachment.kind == "image":
            parts.append({"type": "input_image", "image_url": attachment.data_url()})
        else:
            parts.append({"type": "input_file", "filename": attachment.name, "file_data": attachment.data_url()})
    return parts


def round_items(step: ToolRound, provider_id: str) -> list[dict]:
    """One tool step as input items, in the order the model produced them: each call's reasoning
    items as received (they must come back with the calls they led to), the step's words as an
    assistant message, the `function_call` items with their arguments exactly as sent, then one
    `function_call_output` per result.

    Reasoning items go back only to the provider that made them (like thinking blocks: another
    server cannot read them). The function_call items go without their item `id` (kept in the
    call's extra): inline items need none, and an item id whose reasoning item is not sent is refused."""
    items: list[dict] = []
    for position, call in enumerate(step.calls):
        if call.provider == provider_id:
            items += reasoning_items(call.extra.get("reasoning", ""))
        if position == 0 and has_words(step.text):
            items.append({"role": "assistant", "content": step.text})
        items.append({"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments})
    if not step.calls and has_words(step.text):
        items.append({"role": "assistant", "content": step.text})
    items += [{"type": "function_call_output", "call_id": result.call_id, "output": call_output(result)} for result in step.results]
    return items


def call_output(result: ToolResult) -> str | list[dict]:
    """The text, or with images a list of `input_text` and `input_image` parts (openai-python's
    ResponseFunctionCallOutputItemListParam: a function's output may carry images)."""
    if not result.images:
        return result.output
    return [{"type": "input_text", "text": result.output}, *({"type": "input_image", "image_url": image.data_url()} for image in result.images)]


def reasoning_items(kept: str) -> list[dict]:
    """The reasoning items a call's extra keeps (a JSON list, as the server sent them)."""
    items = parse_json(kept) if kept else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def response_body(model: str, conversation: Conversation, options: RequestOptions) -> dict:
    """The fields shared by `POST /responses` and the WebSocket `response.create`."""
    items: list[dict] = []
    for message in conversation.messages:
        if message.role == "assistant":
            items += [item for step in message.rounds for item in round_items(step, options.provider_id)]
        if message.text or message.role == "user":
            items.append({"role": message.role, "content": input_content(message) if message.role == "user" else message.text})
    body: dict = {"model": model, "input": items}
    if conversation.system:
        body["instructions"] = conversation.system
    if options.tools:
        # strict: false, said outright: the Responses API makes function tools strict by default,
        # and strict mode refuses most JSON Schemas an MCP server offers (optional properties).
        body["tools"] = [{"type": "function", "name": tool.name, "description": tool.description, "parameters": tool.parameters, "strict": False} for tool in options.tools]
        body["tool_choice"] = options.tool_choice
        if options.extra_body.get("store") is False:
            # Nothing is kept server-side, so a reasoning item can only go back with its
            # encrypted content, which the server sends only when asked.
            body["include"] = ["reasoning.encrypted_content"]
    if options.effort is not None:
        body["reasoning"] = {"effort": EFFORT[options.effort]}
        if options.effort != "off":
            body["reasoning"]["summary"] = "auto"
    if options.max_tokens:
        body["max_output_tokens"] = options.max_tokens
    body.update(options.extra_body)
    return body


def build_request(base_url: str, key: str | None, model: str, conversation: Conversation, options: RequestOptions) -> HttpRequest:
    body = response_body(model, conversation, options) | {"stream": True}
    headers = {"Accept": "text/event-stream", **key_headers("openai_responses", key)}
    return HttpRequest(f"{base_url.rstrip('/')}/responses", headers, body)


def usage_from(usage: object) -> list[Event]:
    usage = mapping(usage)
    said = {
        "input_tokens": usage.get("input_tokens"),
        "output_tokens": usage.get("output_tokens"),
        "cached_tokens": mapping(usage.get("input_tokens_details")).get("cached_tokens"),
        "reasoning_tokens": mapping(usage.get("output_tokens_details")).get("reasoning_tokens"),
    }
    return reported_usage(Usage(**said), said)


class ResponseCalls:
    """The function calls of one response, from the `response.*` events that build them.

    A call is keyed by its `output_index` (its item `id` stands in where a server leaves the
    index out). `call_id` is the call's id (the item `id` goes in `extra` as `item_id`); the
    arguments are the `.delta` pieces joined as sent, and what a `.done` (or the finished item)
    holds beyond them is added once, so a server that skips the deltas still gives the
    arguments and one that sends both never doubles them. Reasoning items finished before a
    call ride in its `extra` (`reasoning`, as the server sent them): the Responses API wants
    them back in front of that call on the next request."""

    def __init__(self) -> None:
        self.made = False
        self._arguments: dict[int, str] = {}  # output_index -> arguments so far
        self._index_of_item: dict[str, int] = {}
        self._reasoning: list[dict] = []  # finished reasoning items not yet followed by a call

    def added(self, payload: dict) -> list[Event]:
        item = mapping(payload.get("item"))
        if item.get("type") != "function_call":
            return []
        item_id = _text(item.get("id"))
        index = self._index(payload, item_id)
        if index is None:
            index = max(self._arguments, default=-1) + 1  # a server that numbers no items
        if index in self._arguments:
            return []  # already added (the finished item repeats it)
        self.made = True
        self._arguments[index] = ""
        if item_id:
            self._index_of_item[item_id] = index
        call_id, extra = _text(item.get("call_id")), []
        if not call_id:
            call_id, extra = item_id or f"call-{index}", [("synthetic_id", "1")]
        if item_id:
            extra.append(("item_id", item_id))
        if self._reasoning:
            extra.append(("reasoning", json.dumps(self._reasoning, ensure_ascii=False)))
            self._reasoning = []
        return [ToolCallDelta(index, call_id, _text(item.get("name")) or None, "", tuple(extra)), *self._append(index, item.get("arguments"))]

    def arguments(self, payload: dict) -> list[Event]:
        return self._append(self._index(payload, payload.get("item_id")), payload.get("delta"))

    def arguments_done(self, payload: dict) -> list[Event]:
        return self._rest(self._index(payload, payload.get("item_id")), payload.get("arguments"))

    def item_done(self, payload: dict) -> list[Event]:
        item = mapping(payload.get("item"))
        if item.get("type") == "reasoning":
            self._reasoning.append(dict(item))
            return []
        if item.get("type") != "function_call":
            return []
        events = self.added(payload)  # a server that never said the item was added
        return events + self._rest(self._index(payload, item.get("id")), item.get("arguments"))

    def _append(self, index: int | None, piece: object) -> list[Event]:
        if index not in self._arguments or not isinstance(piece, str) or not piece:
            return []
        self._arguments[index] += piece
        return [ToolCallDelta(index, arguments=piece)]

    def _rest(self, index: int | None, whole: object) -> list[Event]:
        """The whole arguments: only what the deltas did not already bring."""
        so_far = self._arguments.get(index) if index is not None else None
        if so_far is None or not isinstance(whole, str) or not whole.startswith(so_far):
            return []
        return self._append(index, whole[len(so_far):])

    def _index(self, payload: dict, item_id: object) -> int | None:
        index = payload.get("output_index")
        if isinstance(index, int) and not isinstance(index, bool):
            return index
        return self._index_of_item.get(item_id) if isinstance(item_id, str) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class ResponsesDecoder(StreamDecoder):
    wire = "openai_responses"

    def __init__(self) -> None:
        super().__init__()
        self.refused = False
        self.calls = ResponseCalls()

    def decode_payload(self, payload: dict) -> list[Event]:
        """Shared with the WebSocket transport, where each frame is one payload."""
        kind = payload.get("type", "")
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            if kind == "response.refusal.delta":
                self.refused = True
            return [TextDelta(payload["delta"])] if payload.get("delta") else []
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            return [ThinkingDelta(payload["delta"])] if payload.get("delta") else []
        if kind == "response.reasoning_summary_part.added" and payload.get("summary_index", 0) > 0:
            return [ThinkingDelta("\n\n")]
        if kind == "response.output_item.added":
            return self.calls.added(payload)
        if kind == "response.function_call_arguments.delta":
            return self.calls.arguments(payload)
        if kind == "response.function_call_arguments.done":
            return self.calls.arguments_done(payload)
        if kind == "response.output_item.done":
            return self.calls.item_done(payload)
        if kind in ("response.completed", "response.done", "response.incomplete", "response.failed"):
            response = payload.get("response") or {}
            events: list[Event] = []
            if response.get("usage"):
                events += usage_from(response["usage"])
                events += reported_cost(mapping(response["usage"]).get("cost"))
            status = response.get("status") or kind.removeprefix("response.")
            if status == "failed" or kind == "response.failed":
                error = response.get("error") or {}
                return events + in_stream_error("server", f"the response failed: {error.get('message', 'no reason given')}")
            if status == "incomplete":
                reason = (response.get("incomplete_details") or {}).get("reason", "")
                return events + [Done(INCOMPLETE_REASONS.get(reason, "length"))]
            if status == "cancelled":
                return events + [Done("interrupted")]
            if self.refused:
                return events + [Done("refusal")]
            output = response.get("output")
            called = self.calls.made or any(mapping(item).get("type") == "function_call" for item in (output if isinstance(output, list) else []))
            return events + [Done("tool_use" if called else "complete")]
        if kind == "error":
            error = payload.get("error") if isinstance(payload.get("error"), dict) else payload
            return in_stream_error("server", f"OpenAI reported an error: {error.get('message', '')}")
        return []

    def headers(self, headers: Mapping[str, str]) -> list[Event]:
        return reported_cost(headers.get("x-litellm-response-cost"))

    def _as_stream(self, payload: object) -> list[dict] | None:
        if not isinstance(payload, dict):
            return None
        if payload.get("error") and payload.get("object") != "response":
            return [{"type": "error", "error": payload["error"]}]
        if payload.get("object") != "response" or not isinstance(payload.get("output"), list):
            return None
        frames: list[dict] = []
        for index, item in enumerate(payload["output"]):
            if item.get("type") == "reasoning":
                for summary in item.get("summary") or []:
                    frames.append({"type": "response.reasoning_summary_text.delta", "delta": summary.get("text", "")})
            elif item.get("type") == "message":
                for part in item.get("content") or []:
                    kind = "response.refusal.delta" if part.get("type") == "refusal" else "response.output_text.delta"
                    frames.append({"type": kind, "delta": part.get("text") or part.get("refusal") or ""})
            if item.get("type") in ("reasoning", "function_call"):
                frames.append({"type": "response.output_item.done", "output_index": index, "item": item})
        frames.append({"type": "response.completed", "response": payload})
        return frames

    def _decode(self, sse: ServerSentEvent) -> list[Event]:
        if not sse.data.strip():
            return []
        payload = parse_json(sse.data)
        if not isinstance(payload, dict):
            return self.malformed(sse)
        return self.decode_payload(payload)


TRANSPORT_ONLY = ("stream", "background")  # POST-body fields WebSocket mode does not take


def _plain_refusal(status: int, body: bytes) -> Error:
    return Error("bad_request", f"the request was refused ({status})")


class ResponsesSocketProtocol(FrameQueues):
    """`response.create` on a kept-open `/v1/responses` socket; one response at a time, no cancel message.

    `refused` words an in-band HTTP status (bad key, unknown model, rate limit)
    exactly as the SSE path words the same status."""

    ready = True  # the server sends nothing before the first request

    def __init__(self, model: str, refused: Callable[[int, bytes], Error] = _plain_refusal) -> None:
        super().__init__()
        self.model = model
        self.refused = refused
        self.decoder = ResponsesDecoder()
        self.context = ServerContext()  # stays empty: every turn carries the whole conversation

    def begin(self) -> None:
        self.decoder = ResponsesDecoder()
        self._events.clear()
        self._outgoing.clear()

    def receive_data(self, data: str | bytes) -> None:
        self._events += decode_frame(data, self._decode_payload)

    def _decode_payload(self, payload: dict) -> list[Event]:
        if payload.get("type") == "error" and isinstance(payload.get("status"), int):
            error = payload.get("error")
            body = json.dumps({"error": error if isinstance(error, dict) else {}}).encode()
            return [self.refused(payload["status"], body), Done("error")]
        return self.decoder.decode_payload(payload)

    def send_turn(self, conversation: Conversation, options: RequestOptions) -> None:
        self.decoder = ResponsesDecoder()
        body = {k: v for k, v in response_body(self.model, conversation, options).items() if k not in TRANSPORT_ONLY}
        self.send({"type": "response.create", **body})

    def answered(self, text: str) -> None:
        """The server keeps no conversation here, so an edited history needs no fresh socket."""

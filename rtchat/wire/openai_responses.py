"""OpenAI Responses API: the same `response.*` events over SSE or the Responses WebSocket.

`ResponsesSocketProtocol` is WebSocket mode's session object (pure, like the
other socket protocols): each turn sends the whole conversation, so a fresh
socket needs no rebuilding and the server's context is never relied on.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Error, Event, TextDelta, ThinkingDelta, ToolCallDelta, Usage
from rtchat.target import key_headers
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder, binary_attachments, in_stream_error, mapping, parse_json, reported_usage, user_text
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


def response_body(model: str, conversation: Conversation, options: RequestOptions) -> dict:
    """The fields shared by `POST /responses` and the WebSocket `response.create`."""
    body: dict = {
        "model": model,
        "input": [
            {"role": message.role, "content": input_content(message) if message.role == "user" else message.text}
            for message in conversation.messages
            if message.text or message.role == "user"
        ],
    }
    if conversation.system:
        body["instructions"] = conversation.system
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


class ResponsesDecoder(StreamDecoder):
    wire = "openai_responses"

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

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
            item = payload.get("item") or {}
            if item.get("type") == "function_call":
                return [ToolCallDelta(payload.get("output_index", 0), item.get("call_id"), item.get("name"), "")]
            return []
        if kind == "response.function_call_arguments.delta":
            return [ToolCallDelta(payload.get("output_index", 0), None, None, payload.get("delta", ""))]
        if kind in ("response.completed", "response.done", "response.incomplete", "response.failed"):
            response = payload.get("response") or {}
            events: list[Event] = []
            if response.get("usage"):
                events += usage_from(response["usage"])
            status = response.get("status") or kind.removeprefix("response.")
            if status == "failed" or kind == "response.failed":
                error = response.get("error") or {}
                return events + in_stream_error("server", f"the response failed: {error.get('message', 'no reason given')}")
            if status == "incomplete":
                reason = (response.get("incomplete_details") or {}).get("reason", "")
                return events + [Done(INCOMPLETE_REASONS.get(reason, "length"))]
            if status == "cancelled":
                return events + [Done("interrupted")]
            return events + [Done("refusal" if self.refused else "complete")]
        if kind == "error":
            error = payload.get("error") if isinstance(payload.get("error"), dict) else payload
            return in_stream_error("server", f"OpenAI reported an error: {error.get('message', '')}")
        return []

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
            elif item.get("type") == "function_call":
                frames.append({"type": "response.output_item.added", "output_index": index, "item": item})
                frames.append({"type": "response.function_call_arguments.delta", "output_index": index, "delta": item.get("arguments", "")})
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

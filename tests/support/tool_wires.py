"""Tool calls on the loopback's four HTTP wires, spoken raw: each provider's request with tools,
the calls read back out of its stream, and the follow-up that sends them back as received."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

from tests.support.sse_frames import parse_sse

WIRES = ["openai_chat", "anthropic", "gemini", "openai_responses"]
MODEL = "tools@0"

TIME_SCHEMA = {
    "type": "object",
    "properties": {"timezone": {"type": "string", "default": "UTC"}, "verbose": {"type": "boolean"}},
    "required": ["timezone"],
}
ADD_SCHEMA = {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}
TOOLS = {"time__now": ("The time in a zone", TIME_SCHEMA), "calc__add": ("Add two numbers", ADD_SCHEMA)}
ID_PREFIX = {"openai_chat": "call_", "anthropic": "toolu_", "gemini": "call_", "openai_responses": "call_"}


def tools_field(wire: str) -> list[dict]:
    """The offered tools in `wire`'s own request shape."""
    if wire == "openai_chat":
        return [{"type": "function", "function": {"name": n, "description": d, "parameters": s}} for n, (d, s) in TOOLS.items()]
    if wire == "anthropic":
        return [{"name": n, "description": d, "input_schema": s} for n, (d, s) in TOOLS.items()]
    if wire == "gemini":
        return [{"functionDeclarations": [{"name": n, "description": d, "parameters": s} for n, (d, s) in TOOLS.items()]}]
    return [{"type": "function", "name": n, "description": d, "parameters": s} for n, (d, s) in TOOLS.items()]


def first_request(wire: str, prompt: str, *, thinking: bool = True, tools: bool = True) -> tuple[str, dict]:
    """Path and streaming body asking `loopback/tools` with the tools offered."""
    if wire == "openai_chat":
        path = "/v1/chat/completions"
        body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "stream": True, "stream_options": {"include_usage": True}}
        if not thinking:
            body["reasoning_effort"] = "none"
    elif wire == "anthropic":
        path = "/v1/messages"
        body = {"model": MODEL, "max_tokens": 4096, "messages": [{"role": "user", "content": prompt}], "stream": True}
        if thinking:
            body["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    elif wire == "gemini":
        path = f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
        budget = -1 if thinking else 0
        body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": budget}}}
    else:
        path = "/v1/responses"
        body = {"model": MODEL, "input": [{"role": "user", "content": prompt}], "stream": True}
        body["reasoning"] = {"effort": "low", "summary": "auto"} if thinking else {"effort": "none"}
    if tools:
        body["tools"] = tools_field(wire)
    return path, body


def sse_json(raw: str) -> list[tuple[str | None, dict]]:
    """(event name, JSON object) of each SSE frame (LF or CRLF); `[DONE]` drops out."""
    return [(event, json.loads(data)) for event, data in parse_sse(raw) if data != "[DONE]"]


@dataclass
class Received:
    """What one streamed step said: its calls (id, name, arguments text), text, stop word, and the
    provider's own pieces needed to send the step back exactly (blocks, parts, items)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)
    text: str = ""
    stop: str | None = None
    usage: dict | None = None
    argument_pieces: dict[str, list[str]] = field(default_factory=dict)
    echo: object = None  # the assistant turn as received, in the provider's request shape


def read_stream(wire: str, raw: str) -> Received:
    return {"openai_chat": _read_chat, "anthropic": _read_anthropic, "gemini": _read_gemini, "openai_responses": _read_responses}[wire](raw)


def _read_chat(raw: str) -> Received:
    got = Received()
    by_index: dict[int, dict] = {}
    for _, chunk in sse_json(raw):
        got.usage = chunk.get("usage") or got.usage
        for choice in chunk["choices"]:
            got.text += choice["delta"].get("content") or ""
            for fragment in choice["delta"].get("tool_calls") or []:
                call = by_index.setdefault(fragment["index"], {"id": "", "name": "", "pieces": []})
                call["id"] = fragment.get("id") or call["id"]
                call["name"] = fragment.get("function", {}).get("name") or call["name"]
                if "arguments" in fragment.get("function", {}) and not fragment.get("id"):
                    call["pieces"].append(fragment["function"]["arguments"])
            got.stop = choice.get("finish_reason") or got.stop
    for index in sorted(by_index):
        call = by_index[index]
        got.calls.append((call["id"], call["name"], "".join(call["pieces"])))
        got.argument_pieces[call["id"]] = call["pieces"]
    tool_calls = [{"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in got.calls]
    got.echo = {"role": "assistant", "content": got.text or None, "tool_calls": tool_calls}
    return got


def _read_anthropic(raw: str) -> Received:
    got = Received()
    blocks: list[dict] = []
    pieces: list[list[str]] = []
    for event, data in sse_json(raw):
        if event == "content_block_start":
            blocks.append(dict(data["content_block"]))
            pieces.append([])
        elif event == "content_block_delta":
            delta, block = data["delta"], blocks[data["index"]]
            if delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "text_delta":
                block["text"] += delta["text"]
                got.text += delta["text"]
            elif delta["type"] == "input_json_delta":
                pieces[data["index"]].append(delta["partial_json"])
        elif event == "message_delta":
            got.stop, got.usage = data["delta"]["stop_reason"], data["usage"]
    for block, parts in zip(blocks, pieces):
        if block["type"] == "tool_use":
            arguments = "".join(parts)
            block["input"] = json.loads(arguments)
            got.calls.append((block["id"], block["name"], arguments))
            got.argument_pieces[block["id"]] = parts
    got.echo = {"role": "assistant", "content": blocks}
    return got


def _read_gemini(raw: str) -> Received:
    got = Received()
    parts: list[dict] = []
    for _, chunk in sse_json(raw):
        candidate = chunk["candidates"][0]
        for part in candidate["content"]["parts"]:
            if "functionCall" in part:
                call = part["functionCall"]
                arguments = json.dumps(call["args"], separators=(",", ":"))
                got.calls.append((call.get("id", ""), call["name"], arguments))
                got.argument_pieces[call.get("id", "")] = [arguments]
                parts.append(copy.deepcopy(part))
            elif part.get("text") and not part.get("thought"):
                got.text += part["text"]
        got.stop = candidate.get("finishReason") or got.stop
        got.usage = chunk.get("usageMetadata") or got.usage
    got.echo = {"role": "model", "parts": parts}
    return got


def _read_responses(raw: str) -> Received:
    got = Received()
    pieces: dict[str, list[str]] = {}
    for _, event in sse_json(raw):
        kind = event["type"]
        if kind == "response.function_call_arguments.delta":
            pieces.setdefault(event["item_id"], []).append(event["delta"])
        elif kind == "response.output_text.delta":
            got.text += event["delta"]
        elif kind == "response.completed":
            output = event["response"]["output"]
            got.usage = event["response"]["usage"]
            got.stop = "completed"
            got.echo = [item for item in output if item["type"] in ("reasoning", "function_call")]
            for item in output:
                if item["type"] == "function_call":
                    got.calls.append((item["call_id"], item["name"], item["arguments"]))
                    got.argument_pieces[item["call_id"]] = pieces.get(item["id"], [])
    return got


def follow_up(wire: str, body: dict, step: Received, outputs: dict[str, str]) -> dict:
    """`body` plus the step as received and one result per call (output by call id), in `wire`'s shape."""
    body = copy.deepcopy(body)
    echo = copy.deepcopy(step.echo)
    if wire == "openai_chat":
        body["messages"] += [echo] + [{"role": "tool", "tool_call_id": i, "content": outputs[i]} for i, _, _ in step.calls]
    elif wire == "anthropic":
        results = [{"type": "tool_result", "tool_use_id": i, "content": outputs[i]} for i, _, _ in step.calls]
        body["messages"] += [echo, {"role": "user", "content": results}]
    elif wire == "gemini":
        responses = [{"functionResponse": {"id": i, "name": n, "response": {"output": outputs[i]}}} for i, n, _ in step.calls]
        body["contents"] += [echo, {"role": "user", "parts": responses}]
    else:
        body["input"] += echo + [{"type": "function_call_output", "call_id": i, "output": outputs[i]} for i, _, _ in step.calls]
    return body


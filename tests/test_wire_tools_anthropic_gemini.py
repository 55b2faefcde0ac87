"""Tool calling on the Anthropic Messages and Gemini wires, against recorded provider streams.

Each stream in tests/fixtures/tools (sources in tests/fixtures/README.md) is decoded at every
split point, folded, its calls answered, and the follow-up request checked as exact JSON; the
providers' own SDKs read the same bytes to the same calls. The expected calls were worked out
from the streams by hand (see the README), not by rtchat.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Annotated, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock, ToolCall, ToolResult, ToolRound, ToolSpec
from rtchat.events import Done, ToolCallDelta
from rtchat.wire import WIRES
from rtchat.wire.base import RequestOptions
from rtchat.wire.gemini_schema import gemini_parameters
from tests.support.streams import decode_chunks
from tests.support.tool_streams import answered, decoded, decoded_at_every_split, fold, follow_up, sse_frames, tool_fixture

STREAMS = [
    ("anthropic", "anthropic_tool_use_parallel"),
    ("anthropic", "anthropic_server_tool_then_tool_use"),
    ("gemini", "gemini_tool_call_signature"),
    ("gemini", "gemini_tool_call_id"),
    ("gemini", "gemini_tool_call_args"),
]
WEATHER = ToolSpec("get_weather", "The weather in a city.", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})


def calls_of(answer) -> list[dict]:
    return [{"id": c.id, "name": c.name, "arguments": c.parsed(), "extra": c.extra} for c in answer.tool_calls]


# --- decoding recorded streams ------------------------------------------------------------


@pytest.mark.parametrize(("wire", "name"), STREAMS, ids=[name for _, name in STREAMS])
def test_recorded_stream_decodes_to_its_calls_at_every_split(wire, name):
    expected = json.loads(tool_fixture(f"{name}.expected.json").read_text())
    events = decoded_at_every_split(wire, tool_fixture(f"{name}.sse").read_bytes())  # (the one every-split check a stream)
    answer = fold(events, wire).answer()
    assert events[-1] == Done(expected["done"]) and expected["done"] == "tool_use"
    assert answer.text == expected["text"]
    got = calls_of(answer)
    assert len(got) == len(expected["calls"])
    for call, want in zip(got, expected["calls"]):
        assert (call["name"], call["arguments"]) == (want["name"], want["arguments"])
        assert call["id"], "every call has an id"
        if want["id"] is None:  # Gemini gave none: a made-up one, marked so it is never sent back
            assert call["extra"] == {**want["extra"], "synthetic_id": "1"}
        else:
            assert (call["id"], call["extra"]) == (want["id"], want["extra"])
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert all(isinstance(d.index, int) for d in deltas)


def test_anthropic_empty_input_stream_is_an_empty_object():
    """Both recorded calls stream only `partial_json: ""`: the arguments read `{}`, as sent on."""
    answer = fold(decoded("anthropic", "anthropic_tool_use_parallel.sse"), "anthropic").answer()
    assert [c.arguments for c in answer.tool_calls] == ["{}", "{}"]


def test_anthropic_server_tool_input_is_not_a_call():
    """Anthropic's own tool search streams `input_json_delta` for a `server_tool_use` block
    (index 1): that is not a call for rtchat to run, and its input joins no call."""
    events = decoded("anthropic", "anthropic_server_tool_then_tool_use.sse")
    assert {d.index for d in events if isinstance(d, ToolCallDelta)} == {4}
    (call,) = fold(events, "anthropic").answer().tool_calls
    assert call.arguments == '{"from_currency": "USD", "to_currency": "EUR"}'  # the pieces joined exactly as sent


def test_gemini_arguments_are_compact_json_of_args():
    events = decoded("gemini", "gemini_tool_call_args.sse")
    (call,) = fold(events, "gemini").answer().tool_calls
    assert call.arguments == '{"country":"France"}'
    assert call.id.startswith("gemini_") and call.extra == {"synthetic_id": "1"}


def test_gemini_made_up_ids_differ_between_steps():
    """Each step is a new response (its own `responseId`), so made-up ids do not repeat in a turn."""
    one = fold(decoded("gemini", "gemini_tool_call_args.sse"), "gemini").answer().tool_calls[0].id
    two = fold(decoded("gemini", "gemini_tool_call_signature.sse"), "gemini").answer().tool_calls[0].id
    assert one != two


def test_gemini_parallel_calls_get_their_own_index_and_hostile_parts_never_raise():
    frame = {"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "a", "args": {"x": [1, 2.5, "ü"]}, "id": "i1"}, "thoughtSignature": "U0lH"},
        {"functionCall": {"name": 5, "args": "not an object"}},
        {"functionCall": {"name": "c", "args": {}, "id": ""}},
    ]}, "finishReason": "STOP"}]}
    decoder = WIRES["gemini"].decoder()
    from rtchat.wire.sse import ServerSentEvent

    events = decoder.feed(ServerSentEvent(data=json.dumps(frame))) + decoder.finish()
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [c.index for c in calls] == [0, 1, 2]
    assert json.loads(calls[0].arguments) == {"x": [1, 2.5, "ü"]} and calls[0].extra == (("thought_signature", "U0lH"),)
    assert (calls[1].name, calls[1].arguments) == ("", "{}")
    assert all(c.id for c in calls) and calls[2].extra == (("synthetic_id", "1"),)
    assert events[-1] == Done("tool_use")


# --- the providers' SDKs read the same bytes to the same calls ----------------------------------


@pytest.mark.parametrize("name", ["anthropic_tool_use_parallel", "anthropic_server_tool_then_tool_use"])
def test_anthropic_sdk_accumulator_reads_the_same_calls(name):
    from anthropic.lib.streaming._messages import accumulate_event

    snapshot, buffers = None, {}
    for frame in sse_frames(tool_fixture(f"{name}.sse")):
        snapshot = accumulate_event(event=frame, current_snapshot=snapshot, json_bufs=buffers)
    sdk = [(b.id, b.name, b.input) for b in snapshot.content if b.type == "tool_use"]
    events = decoded("anthropic", f"{name}.sse")
    ours = fold(events, "anthropic").answer()
    assert [(c.id, c.name, c.parsed()) for c in ours.tool_calls] == sdk
    assert snapshot.stop_reason == events[-1].reason == "tool_use"


@pytest.mark.parametrize("name", ["gemini_tool_call_signature", "gemini_tool_call_id", "gemini_tool_call_args"])
def test_google_genai_reads_the_same_calls_and_signatures(name):
    from google.genai import types

    sdk_calls, sdk_signatures = [], []
    for frame in sse_frames(tool_fixture(f"{name}.sse")):
        response = types.GenerateContentResponse.model_validate(frame)
        sdk_calls += [(c.id, c.name, c.args) for c in response.function_calls or []]
        sdk_signatures += [p.thought_signature for p in response.candidates[0].content.parts if p.function_call]
    ours = fold(decoded("gemini", f"{name}.sse"), "gemini").answer().tool_calls
    assert [(None if c.extra.get("synthetic_id") else c.id, c.name, c.parsed()) for c in ours] == sdk_calls
    # The SDK decodes the signature to bytes; rtchat keeps the text exactly as it came.
    assert [base64.b64decode(c.extra["thought_signature"]) if "thought_signature" in c.extra else None for c in ours] == sdk_signatures


def test_anthropic_sdk_reads_the_whole_thinking_answer_as_rtchat_does():
    import anthropic

    payload = json.loads(tool_fixture("anthropic_thinking_tool_use.json").read_text())
    sdk = anthropic.types.Message.model_validate(payload)
    ours = fold(WIRES["anthropic"].decoder().whole(payload), "anthropic").answer()
    (thinking,) = [b for b in sdk.content if b.type == "thinking"]
    assert [(b.text, b.signature) for b in ours.thinking] == [(thinking.thinking, thinking.signature)]
    assert [(c.id, c.name, c.parsed()) for c in ours.tool_calls] == [(b.id, b.name, b.input) for b in sdk.content if b.type == "tool_use"]


# --- requests offering tools -------------------------------------------------------------------


def _no_tools_conversation() -> Conversation:
    """The conversation tests/fixtures/tools/*_no_tools_requests.json were built from (by the
    wires as they were before tools, so these requests must stay byte-for-byte the same)."""
    return Conversation([
        ChatMessage("user", "hi"),
        ChatMessage("assistant", "hello", [ThinkingBlock("hmm", "sig1", None, "anthropic"), ThinkingBlock("", None, "RED", "anthropic"), ThinkingBlock("x", "sig2", None, "other")]),
        ChatMessage("user", "one"),
        ChatMessage("user", "two"),
        ChatMessage("assistant", "  "),
        ChatMessage("user", "three"),
    ], system="be brief")


@pytest.mark.parametrize("wire", ["anthropic", "gemini"])
@pytest.mark.parametrize("effort", [None, "high"])
def test_without_tools_the_request_is_byte_for_byte_unchanged(wire, effort):
    before = json.loads(tool_fixture(f"{wire}_no_tools_requests.json").read_text())[str(effort)]
    options = RequestOptions(effort=effort, provider_id=wire, max_tokens=100 if wire == "gemini" else None)
    body = WIRES[wire].build_request("https://x", "k", "m", _no_tools_conversation(), options).body
    assert json.dumps(body) == json.dumps(before)
    assert "tools" not in body and "tool_choice" not in body and "toolConfig" not in body


@pytest.mark.parametrize(("choice", "word"), [("auto", "auto"), ("none", "none"), ("required", "any")])
def test_anthropic_request_offers_tools(choice, word):
    body = WIRES["anthropic"].build_request("https://x", "k", "m", Conversation([ChatMessage("user", "hi")]), RequestOptions(tools=(WEATHER,), tool_choice=choice)).body
    assert body["tools"] == [{"name": "get_weather", "description": "The weather in a city.", "input_schema": WEATHER.parameters}]
    assert body["tool_choice"] == {"type": word}


@pytest.mark.parametrize(("choice", "word"), [("auto", "auto"), ("none", "none"), ("required", "auto")])
def test_anthropic_with_thinking_never_forces_tool_use(choice, word):
    """Anthropic refuses tool_choice "any" beside extended thinking: the request asks for "auto"."""
    options = RequestOptions(effort="low", tools=(WEATHER,), tool_choice=choice)
    body = WIRES["anthropic"].build_request("https://x", "k", "m", Conversation([ChatMessage("user", "hi")]), options).body
    assert body["thinking"]["type"] == "enabled" and body["tool_choice"] == {"type": word}


@pytest.mark.parametrize(("choice", "mode"), [("auto", "AUTO"), ("none", "NONE"), ("required", "ANY")])
def test_gemini_request_offers_function_declarations(choice, mode):
    bare = ToolSpec("now", "The time.", {"type": "object", "properties": {}, "title": "nowArguments"})
    body = WIRES["gemini"].build_request("https://x", "k", "m", Conversation([ChatMessage("user", "hi")]), RequestOptions(tools=(WEATHER, bare), tool_choice=choice)).body
    assert body["tools"] == [{"functionDeclarations": [
        {"name": "get_weather", "description": "The weather in a city.", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}},
        {"name": "now", "description": "The time."},  # no arguments: no parameters (an empty OBJECT is a 400)
    ]}]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": mode}}


def test_gemini_translates_a_tool_list_once_for_all_its_steps(monkeypatch):
    from rtchat.wire import gemini

    translated = []
    monkeypatch.setattr(gemini, "gemini_parameters", lambda schema: translated.append(schema) or gemini_parameters(schema))
    options = RequestOptions(tools=(WEATHER, ToolSpec("now", "The time.")))
    conversation = Conversation([ChatMessage("user", "hi")])
    first = WIRES["gemini"].build_request("https://x", "k", "m", conversation, options).body
    second = WIRES["gemini"].build_request("https://x", "k", "m", conversation, options).body  # the next step of the turn
    assert len(translated) == 2 and second["tools"] == first["tools"]
    other = RequestOptions(tools=(WEATHER,))  # another turn's list (equal specs, a new tuple): translated again
    WIRES["gemini"].build_request("https://x", "k", "m", conversation, other)
    assert len(translated) == 3


# --- follow-ups -------------------------------------------------------------------------------


def test_anthropic_follow_up_after_parallel_calls():
    builder = fold(decoded("anthropic", "anthropic_tool_use_parallel.sse"), "anthropic")
    answer = answered(builder, {"pelican_name_generator": ("Charles", False)})
    body = follow_up("anthropic", "Two names for a pet pelican", answer.message(), RequestOptions(provider_id="anthropic", tools=(WEATHER,)))
    ids = ["toolu_01LtHJmixrs9NcWQkK8hu8hj", "toolu_01N8a4jWyf116qKTMqKKmjyt"]
    assert body["messages"] == [
        {"role": "user", "content": "Two names for a pet pelican"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": i, "name": "pelican_name_generator", "input": {}} for i in ids]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": i, "content": "Charles"} for i in ids]},
    ]
    # What llm-anthropic sent Anthropic (which answered 200), but for its blank text block.
    sent = json.loads(tool_fixture("anthropic_tool_use_parallel.followup.json").read_text())["messages"]
    sent[1]["content"] = [b for b in sent[1]["content"] if b["type"] != "text"]
    for block in sent[2]["content"]:
        block["content"] = "Charles"
    assert body["messages"][1:] == sent[1:]


def test_anthropic_follow_up_sends_thinking_back_byte_for_byte():
    """The recorded thinking answer folded and answered makes the follow-up pydantic-ai sent
    Anthropic (with thinking on; Anthropic answered 200): thinking text and signature exactly
    as received, then the text, then the call; then the result."""
    payload = json.loads(tool_fixture("anthropic_thinking_tool_use.json").read_text())
    builder = fold(WIRES["anthropic"].decoder().whole(payload), "anthropic")
    answer = answered(builder, {"get_user_country": ("Mexico", False)})
    options = RequestOptions(effort="low", provider_id="anthropic", tools=(ToolSpec("get_user_country", "", {"type": "object", "properties": {}}),))
    body = follow_up("anthropic", "What is the largest city in the user country?", answer.message(), options)
    recorded = json.loads(tool_fixture("anthropic_thinking_tool_use.followup.json").read_text())["messages"]
    for block in recorded[2]["content"]:
        assert block.pop("is_error") is False  # rtchat says is_error only when it is true
    assert body["messages"][1:] == recorded[1:]
    thinking = body["messages"][1]["content"][0]
    assert (thinking["thinking"], thinking["signature"]) == (payload["content"][0]["thinking"], payload["content"][0]["signature"])


def _two_step_answer(provider: str) -> ChatMessage:
    """An answer that called a tool twice, the second time in error, then said its words."""
    first = ToolRound([ThinkingBlock("plan", "SIG-1", None, provider), ThinkingBlock("", None, "REDACTED", provider), ThinkingBlock("alien", "X", None, "elsewhere")], "Checking.",
                      [ToolCall("c1", "get_weather", '{"city": "Oslo"}', {"thought_signature": "GSIG=="}, provider)], [ToolResult("c1", "get_weather", "-3 C")])
    second = ToolRound([], "  ", [ToolCall("c2", "get_weather", '{"city": "Ber', {"synthetic_id": "1"}, provider)], [ToolResult("c2", "get_weather", "bad arguments", is_error=True, status="error")])
    return ChatMessage("assistant", "Cold in Oslo.", [ThinkingBlock("done", "SIG-3", None, provider)], rounds=[first, second])


def test_anthropic_follow_up_of_a_two_step_answer_then_a_new_prompt():
    options = RequestOptions(effort="high", provider_id="anthropic", tools=(WEATHER,))
    body = follow_up("anthropic", "Weather?", _two_step_answer("anthropic"), options, after=[ChatMessage("user", "And Bergen?")])
    assert body["messages"] == [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "plan", "signature": "SIG-1"},
            {"type": "redacted_thinking", "data": "REDACTED"},  # another provider's block is left out
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Oslo"}},
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "-3 C"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "c2", "name": "get_weather", "input": {}}]},  # not an object: {}
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c2", "content": "bad arguments", "is_error": True}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "done", "signature": "SIG-3"}, {"type": "text", "text": "Cold in Oslo."}]},
        {"role": "user", "content": "And Bergen?"},
    ]


def test_anthropic_prompt_after_tool_results_joins_their_user_message_after_them():
    interrupted = ChatMessage("assistant", "", rounds=[ToolRound([], "", [ToolCall("c1", "get_weather", "{}", {}, "anthropic")], [ToolResult("c1", "get_weather", "stopped", True, "cancelled")])])
    body = follow_up("anthropic", "Weather?", interrupted, RequestOptions(provider_id="anthropic"), after=[ChatMessage("user", "Never mind.")])
    assert body["messages"][1:] == [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "c1", "name": "get_weather", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "stopped", "is_error": True}, {"type": "text", "text": "Never mind."}]},
    ]


def test_anthropic_thinking_off_sends_no_thinking_blocks():
    body = follow_up("anthropic", "Weather?", _two_step_answer("anthropic"), RequestOptions(provider_id="anthropic"))
    assert not [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"] if "thinking" in b["type"]]


def test_gemini_follow_up_puts_the_signature_back_on_its_part_and_no_made_up_id():
    raw = tool_fixture("gemini_tool_call_signature.sse").read_bytes()
    signature = sse_frames(tool_fixture("gemini_tool_call_signature.sse"))[0]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    answer = answered(fold(decode_chunks("gemini", [raw]), "gemini"), {"get_country": ("Mexico", False)})
    body = follow_up("gemini", "What is the capital of the user country? Call the tool", answer.message(), RequestOptions(provider_id="gemini", tools=(WEATHER,)))
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "What is the capital of the user country? Call the tool"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_country", "args": {}}, "thoughtSignature": signature}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_country", "response": {"output": "Mexico"}}}]},
    ]


def test_gemini_follow_up_sends_a_real_id_back_on_call_and_response():
    raw = tool_fixture("gemini_tool_call_id.sse").read_bytes()
    answer = answered(fold(decode_chunks("gemini", [raw]), "gemini"), {"get_user_country": ("no such user", True)})
    body = follow_up("gemini", "q", answer.message(), RequestOptions(provider_id="gemini"))
    model, results = body["contents"][1:]
    assert model["parts"][0]["functionCall"] == {"name": "get_user_country", "args": {}, "id": "96c1su3s"}
    assert results == {"role": "user", "parts": [{"functionResponse": {"name": "get_user_country", "response": {"error": "no such user"}, "id": "96c1su3s"}}]}


def test_gemini_follow_up_of_a_two_step_answer_then_a_new_prompt():
    body = follow_up("gemini", "Weather?", _two_step_answer("gemini"), RequestOptions(provider_id="gemini"), after=[ChatMessage("user", "And Bergen?")])
    assert body["contents"][1:] == [
        {"role": "model", "parts": [{"text": "Checking."}, {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}, "id": "c1"}, "thoughtSignature": "GSIG=="}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "-3 C"}, "id": "c1"}}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"error": "bad arguments"}}}]},
        {"role": "model", "parts": [{"text": "Cold in Oslo."}]},
        {"role": "user", "parts": [{"text": "And Bergen?"}]},
    ]


def test_gemini_signature_goes_back_only_to_its_maker():
    body = follow_up("gemini", "Weather?", _two_step_answer("vertex"), RequestOptions(provider_id="gemini"))
    assert "thoughtSignature" not in json.dumps(body)


def test_a_call_left_unanswered_goes_back_answered_as_interrupted():
    """The user stopped the turn after the first of two calls returned: the fold's message
    answers the second "interrupted", so every tool_use has its tool_result (Anthropic's rule)."""
    from rtchat.answer import INTERRUPTED_CALL
    from rtchat.events import ToolCallResult

    builder = fold(decoded("anthropic", "anthropic_tool_use_parallel.sse"), "anthropic")
    first, second = builder.answer().tool_calls
    builder.apply(ToolCallResult(first.id, first.name, "Charles"))
    body = follow_up("anthropic", "q", builder.answer().message(), RequestOptions(provider_id="anthropic"))
    assert body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": first.id, "content": "Charles"},
        {"type": "tool_result", "tool_use_id": second.id, "content": INTERRUPTED_CALL, "is_error": True},
    ]}


# --- Gemini's schema subset -------------------------------------------------------------------


class Filter(BaseModel):
    field: str
    op: Literal["eq", "lt", "gt"] = "eq"
    value: str | int | None = None


class Node(BaseModel):
    name: str
    children: list[Node] = []


def _mcp_tool_schemas() -> dict[str, dict]:
    """Input schemas as the official MCP SDK's server makes them from Python signatures."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("schemas")

    @server.tool()
    def search(query: Annotated[str, Field(description="what to look for")], limit: Annotated[int, Field(ge=1, le=50)] = 10,
               filters: list[Filter] | None = None, mode: Literal["fast", "exact"] = "fast") -> str:
        """Search the notes."""
        return ""

    @server.tool()
    def tree(root: Node, meta: dict[str, str] | None = None) -> str:
        """Walk a tree."""
        return ""

    @server.tool()
    def now() -> str:
        """The time."""
        return ""

    return {tool.name: tool.input_schema for tool in asyncio.run(server.list_tools())}


def test_mcp_sdk_schemas_translate_to_gemini_subset():
    schemas = _mcp_tool_schemas()
    assert "$defs" in schemas["search"] and schemas["search"]["properties"]["filters"]["anyOf"][1] == {"type": "null"}  # the shapes under test
    assert gemini_parameters(schemas["search"]) == {
        "type": "OBJECT",
        "properties": {
            "query": {"type": "STRING", "description": "what to look for"},
            "limit": {"type": "INTEGER", "default": 10, "minimum": 1, "maximum": 50},
            "filters": {"type": "ARRAY", "default": None, "items": {"type": "OBJECT", "properties": {
                "field": {"type": "STRING"},
                "op": {"type": "STRING", "default": "eq", "enum": ["eq", "lt", "gt"]},
                "value": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}], "default": None, "nullable": True},
            }, "required": ["field"]}, "nullable": True},
            "mode": {"type": "STRING", "default": "fast", "enum": ["fast", "exact"]},
        },
        "required": ["query"],
    }
    node = gemini_parameters(schemas["tree"])["properties"]["root"]
    # A recursive model is unrolled twice, then cut to its bare type.
    assert node["properties"]["children"]["items"]["properties"]["children"]["items"] == {"type": "OBJECT"}
    assert gemini_parameters(schemas["tree"])["properties"]["meta"] == {"type": "OBJECT", "default": None, "nullable": True}  # additionalProperties dropped
    assert gemini_parameters(schemas["now"]) is None


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": ["string", "null"], "format": "uri", "title": "U", "default": "x"}, {"type": "STRING", "default": "x", "nullable": True}),
    ({"const": "only"}, {"type": "STRING", "enum": ["only"]}),
    ({"type": "integer", "enum": [1, 2]}, {"type": "INTEGER", "enum": ["1", "2"], "format": "enum"}),
    ({"oneOf": [{"type": "string"}, {"type": "number", "format": "double"}]}, {"anyOf": [{"type": "STRING"}, {"type": "NUMBER", "format": "double"}]}),
    ({"type": ["string", "integer"]}, {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}),
    ({"type": "array"}, {"type": "ARRAY", "items": {"type": "STRING"}}),
    ({"type": "string", "format": "date-time", "examples": ["2026"]}, {"type": "STRING", "format": "date-time"}),
    ({"allOf": [{"$ref": "#/$defs/missing"}], "description": "d"}, {"description": "d"}),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "ghost"], "additionalProperties": False, "$schema": "x"},
     {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "required": ["a"]}),
])
def test_json_schema_keywords_gemini_rejects_are_translated_or_dropped(schema, expected):
    assert gemini_parameters({"type": "object", "properties": {"p": schema}})["properties"]["p"] == expected


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["type", "properties", "items", "anyOf", "oneOf", "allOf", "$ref", "$defs", "enum", "const", "required", "format", "nullable",
                                                                                      "description", "default", "minItems", "maxLength", "minimum", "pattern", "propertyOrdering", "prefixItems", "x"]), inner, max_size=5),
                    max_leaves=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=JSON)
def test_any_json_becomes_a_schema_google_genai_accepts(schema):
    from google.genai import types

    translated = gemini_parameters(schema)
    if translated is not None:
        assert translated["type"] == "OBJECT" and translated["properties"]
        types.Schema.model_validate(translated)  # field names and value types the SDK knows (extra is forbidden)
        assert not _keys_outside_the_subset(translated)


SUBSET = {"type", "format", "description", "nullable", "enum", "properties", "required", "items", "anyOf", "propertyOrdering", "default",
          "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties", "pattern", "minimum", "maximum"}


def _keys_outside_the_subset(schema: dict) -> set[str]:
    """Keys the SDK's Schema knows but the Gemini Developer API refuses (additionalProperties, $ref...)."""
    odd = set(schema) - SUBSET
    children = [*schema.get("properties", {}).values(), *schema.get("anyOf", []), *([schema["items"]] if "items" in schema else [])]
    for child in children:
        odd |= _keys_outside_the_subset(child)
    return odd


# --- hostile and broken tool streams ----------------------------------------------------------------


@pytest.mark.parametrize(("wire", "name"), STREAMS, ids=[name for _, name in STREAMS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_cut_or_mangled_tool_streams_never_raise_and_every_call_has_an_id(wire, name, data):
    raw = bytearray(tool_fixture(f"{name}.sse").read_bytes())
    for position in data.draw(st.lists(st.integers(0, len(raw) - 1), max_size=3)):
        raw[position] = data.draw(st.sampled_from(b'{}[]":,0x \n'))
    cut = data.draw(st.integers(0, len(raw)))
    events = decode_chunks(wire, [bytes(raw[:cut])])
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1
    builder = fold(events, wire)
    assert all(call.id for call in builder.answer().tool_calls)
    assert all(isinstance(d.index, int) and isinstance(d.arguments, str) for d in events if isinstance(d, ToolCallDelta))

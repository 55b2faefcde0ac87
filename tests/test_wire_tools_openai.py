"""Tool calling on the OpenAI wires: Chat Completions (OpenAI, DeepSeek, OpenRouter, Ollama, ...)
and Responses (SSE, and the WebSocket mode's protocol object).

Real provider streams (tests/fixtures/tools/, sources in tests/fixtures/README.md) go through
the real framer and decoder at every split point, are folded by the one fold, get a tool
result, and the follow-up request is asserted as the exact JSON sent. The official openai SDK
reads the same bytes over a real socket (a canned server on 127.0.0.1) and must find the same
calls: the SDK is the edge we compare against, not a fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtchat.answer import AnswerBuilder, fold
from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock, ToolCall, ToolResult, ToolRound, ToolSpec
from rtchat.events import Done, ToolCallDelta, ToolCallResult
from rtchat.wire import azure, openai_chat, openai_responses
from rtchat.wire.base import RequestOptions
from rtchat.wire.openai_responses import ResponsesSocketProtocol
from tests.support import lazy_sdks as sdk
from tests.support.canned_sse import canned_sse, chat_frames
from tests.support.streams import decode_chunks

FIXTURES = Path(__file__).parent / "fixtures" / "tools"
WEATHER = ToolSpec("get_weather", "The weather in a city.", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})

# What each stream holds, read by hand from the bytes: (id, name, arguments) per call, in order.
CALLS = {
    "openai_chat_parallel.sse": [
        ("call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs", '{"city": "Edinburgh", "country": "GB", "units": "c"}'),
        ("call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price", '{"ticker": "AAPL", "exchange": "NASDAQ"}'),
    ],
    "openai_chat_ollama.sse": [("call_lbcjwr0u", "run_command", '{"command":"ls -a"}')],
    "openai_chat_repeated_id.sse": [("0", "llm_version", "{}")],
    "openai_chat_whole_call.sse": [("0", "llm_version", "{}")],
    "openai_chat_named_id.sse": [("llm_version:0", "llm_version", "{}")],
    "openai_responses_call.sse": [("call_sVidsfFJ6zlzRpelrPkTPlpd", "multiply", '{"a":1231,"b":2331}')],
    "openai_responses_reasoning_call.sse": [("call_uy7tfNVokIN7NjFF6k7OtLyl", "lookup_population", '{"country":"Pundora"}')],
}


def wire_of(name: str) -> str:
    return "openai_responses" if name.startswith("openai_responses") else "openai_chat"


def calls_of(events) -> list[tuple[str, str, str]]:
    return [(call.id, call.name, call.arguments) for call in fold(events).tool_calls]


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# ---- decoding real streams


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_real_stream_decodes_to_its_calls_and_a_tool_step(name):
    events = decode_chunks(wire_of(name), [raw(name)])
    assert calls_of(events) == CALLS[name]
    assert events[-1] == Done("tool_use")  # Ollama's, Moonshot's (no finish_reason) and OpenAI's alike
    first = {}
    for delta in events:
        if isinstance(delta, ToolCallDelta):
            first.setdefault(delta.index, delta)
    assert all(delta.id for delta in first.values())  # each call's first fragment names it


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_split_point_gives_the_same_events(name):
    data = raw(name)
    whole = decode_chunks(wire_of(name), [data])
    for cut in range(len(data) + 1):
        assert decode_chunks(wire_of(name), [data[:cut], data[cut:]]) == whole, cut


def test_a_call_keeps_its_responses_item_id_in_extra():
    (call,) = fold(decode_chunks("openai_responses", [raw("openai_responses_call.sse")])).tool_calls
    assert call.extra == {"item_id": "fc_00d64fa806f333310169fab1bf324481a0852cda3180856290"}


def test_the_answer_after_the_call_is_plain_text_and_complete():
    answer = fold(decode_chunks("openai_responses", [raw("openai_responses_after_call.sse")]))
    assert (answer.text, answer.tool_calls, answer.reason) == ("1231 × 2331 = **2,869,461**", (), "complete")


def test_an_ollama_call_that_ends_with_stop_is_still_a_tool_step():
    """Ollama before it said "tool_calls", and llama.cpp in some builds, end a call with "stop"."""
    data = raw("openai_chat_ollama.sse").replace(b'"finish_reason":"tool_calls"', b'"finish_reason":"stop"')
    events = decode_chunks("openai_chat", [data])
    assert calls_of(events) == CALLS["openai_chat_ollama.sse"] and events[-1] == Done("tool_use")


def test_parallel_calls_without_index_are_told_apart_by_id():
    """Some gateways send each call whole, with no `index`: two ids are two calls."""
    data = chat_frames(
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\\"x\\":1}"}}]}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}',
    )
    assert calls_of(decode_chunks("openai_chat", [data])) == [("a", "f", '{"x":1}'), ("b", "g", "{}")]


def test_every_call_at_index_0_with_its_own_id_is_its_own_call():
    data = chat_frames(
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{\\"x\\""}}]}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}',
    )
    assert calls_of(decode_chunks("openai_chat", [data])) == [("a", "f", '{"x":1}'), ("b", "g", "{}")]


def test_an_id_that_comes_after_the_first_fragment_does_not_split_the_call():
    data = chat_frames(
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\\"x\\""}}]}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"late","function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}',
    )
    assert calls_of(decode_chunks("openai_chat", [data])) == [("c-0", "f", '{"x":1}')]


def test_a_call_without_an_id_gets_a_synthetic_one_that_goes_back_consistently():
    data = chat_frames('{"id":"chatcmpl-9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":{"x":1}}}]},"finish_reason":"tool_calls"}]}')
    builder = _step(AnswerBuilder("ollama"), decode_chunks("openai_chat", [data]))
    (call,) = builder.answer().tool_calls
    # Arguments sent as a JSON object (not the documented string) are serialised once, whole.
    assert (call.id, call.name, call.arguments, call.extra) == ("chatcmpl-9-0", "f", '{"x": 1}', {"synthetic_id": "1"})
    body = _follow_up_chat(builder, [ToolCallResult(call.id, "f", "ok")])
    # Chat Completions pairs a result with its call by id, so the made-up id is the one sent both times.
    assert body["messages"][-2]["tool_calls"][0]["id"] == body["messages"][-1]["tool_call_id"] == "chatcmpl-9-0"


def _responses_stream(*payloads: dict) -> bytes:
    return b"".join(f"event: {p['type']}\ndata: {json.dumps(p)}\n\n".encode() for p in payloads)


ADDED = {"type": "response.output_item.added", "output_index": 0, "item": {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": ""}}
ITEM_DONE = {"type": "response.output_item.done", "output_index": 0, "item": {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": '{"x":1}'}}
COMPLETED = {"type": "response.completed", "response": {"status": "completed", "output": [ITEM_DONE["item"]]}}


def test_responses_arguments_given_only_by_done_are_taken_once():
    arguments_done = {"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 0, "arguments": '{"x":1}'}
    events = decode_chunks("openai_responses", [_responses_stream(ADDED, arguments_done, ITEM_DONE, COMPLETED)])
    assert calls_of(events) == [("call_1", "f", '{"x":1}')] and events[-1] == Done("tool_use")


def test_responses_deltas_keyed_by_item_id_alone_and_a_finished_item_never_added():
    delta = {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"x"'}
    no_index = {**ADDED}
    del no_index["output_index"]
    events = decode_chunks("openai_responses", [_responses_stream(no_index, delta, {**ITEM_DONE, "output_index": 0}, COMPLETED)])
    assert calls_of(events) == [("call_1", "f", '{"x":1}')]
    only_done = decode_chunks("openai_responses", [_responses_stream(ITEM_DONE, COMPLETED)])
    assert calls_of(only_done) == [("call_1", "f", '{"x":1}')]


def test_a_whole_responses_json_answer_gives_the_same_call_and_reasoning_as_its_stream():
    payload = json.loads(raw("openai_responses_reasoning_call.json"))
    whole = fold(openai_responses.ResponsesDecoder().whole(payload))
    streamed = fold(decode_chunks("openai_responses", [raw("openai_responses_reasoning_call.sse")]))
    assert whole.tool_calls == streamed.tool_calls and whole.reason == streamed.reason == "tool_use"


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_tool_stream_never_raises(name, data):
    mutated = bytearray(raw(name))
    for _ in range(data.draw(st.integers(1, 8))):
        mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    events = decode_chunks(wire_of(name), [bytes(mutated)])
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1


ODD_FRAMES = {
    "openai_chat": [
        '{"choices":[{"delta":{"tool_calls":[{"index":true,"id":5,"function":"x"}]}}]}',
        '{"choices":[{"delta":{"tool_calls":"call"}}]}',
        '{"choices":[{"delta":{"tool_calls":[null,1,{"function":{"name":[],"arguments":7}}]}}]}',
    ],
    "openai_responses": [
        '{"type":"response.output_item.added","item":"x"}',
        '{"type":"response.output_item.added","output_index":"0","item":{"type":"function_call","call_id":3,"name":{}}}',
        '{"type":"response.function_call_arguments.delta","output_index":"0","delta":5}',
        '{"type":"response.function_call_arguments.done","item_id":[],"arguments":null}',
        '{"type":"response.output_item.done","item":{"type":"reasoning"}}',
        '{"type":"response.completed","response":{"status":"completed","output":5}}',
    ],
}


@pytest.mark.parametrize("wire", sorted(ODD_FRAMES))
def test_oddly_shaped_tool_frames_never_raise_and_every_call_has_an_id(wire):
    data = "".join(f"data: {frame}\n\n" for frame in ODD_FRAMES[wire]).encode()
    events = decode_chunks(wire, [data])
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1
    assert all(call.id for call in fold(events).tool_calls)


def test_azure_sends_the_chat_completions_tools_unchanged():
    conversation = Conversation([ChatMessage("user", "hi")])
    options = RequestOptions(tools=(WEATHER,), api_version="2024-10-21")
    assert azure.build_request("https://r.openai.azure.com", "k", "dep", conversation, options).body["tools"] == openai_chat.build_request("https://x", "k", "dep", conversation, options).body["tools"]


# ---- the official SDK reads the same bytes


@pytest.mark.parametrize("name", ["openai_chat_parallel.sse", "openai_chat_ollama.sse", "openai_chat_whole_call.sse", "openai_chat_named_id.sse"])
def test_openai_sdk_chat_accumulator_finds_the_same_calls(name):
    """openai_chat_repeated_id.sse is left out on purpose: the SDK's accumulator joins a repeated
    id and name as text ("00", "llm_versionllm_version"); rtchat reads it as one call."""
    with canned_sse(raw(name)) as url, sdk.openai.OpenAI(base_url=url, api_key="test", max_retries=0) as client:
        with client.chat.completions.stream(model="m", messages=[{"role": "user", "content": "x"}]) as stream:
            for _ in stream:
                pass
            completion = stream.get_final_completion()
    read = [(c.id, c.function.name, c.function.arguments) for c in completion.choices[0].message.tool_calls]
    assert read == calls_of(decode_chunks("openai_chat", [raw(name)])) == CALLS[name]


@pytest.mark.parametrize("name", ["openai_responses_call.sse", "openai_responses_reasoning_call.sse"])
def test_openai_sdk_responses_accumulator_finds_the_same_calls(name):
    calls: dict[int, list[str]] = {}
    with canned_sse(raw(name)) as url, sdk.openai.OpenAI(base_url=url, api_key="test", max_retries=0) as client:
        with client.responses.stream(model="m", input="x") as stream:
            for event in stream:
                if event.type == "response.output_item.added" and event.item.type == "function_call":
                    calls[event.output_index] = [event.item.call_id, event.item.name, event.item.arguments]
                elif event.type == "response.function_call_arguments.delta":
                    calls[event.output_index][2] = event.snapshot  # the SDK's own joined arguments
    assert [tuple(call) for _, call in sorted(calls.items())] == calls_of(decode_chunks("openai_responses", [raw(name)])) == CALLS[name]


# ---- requests: the offer, and the body without tools exactly as before


def test_chat_completions_offers_tools_in_its_nested_shape():
    body = openai_chat.build_request("http://h/v1", "k", "m", Conversation([ChatMessage("user", "hi")]), RequestOptions(tools=(WEATHER,), tool_choice="required")).body
    assert body["tools"] == [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.", "parameters": WEATHER.parameters}}]
    assert body["tool_choice"] == "required"


def test_responses_offers_flat_non_strict_tools():
    body = openai_responses.build_request("http://h/v1", "k", "m", Conversation([ChatMessage("user", "hi")]), RequestOptions(tools=(WEATHER,))).body
    assert body["tools"] == [{"type": "function", "name": "get_weather", "description": "The weather in a city.", "parameters": WEATHER.parameters, "strict": False}]
    assert body["tool_choice"] == "auto"


def test_responses_asks_for_encrypted_reasoning_only_when_tools_meet_store_false():
    """With `store: false` (set by the user's extra_body) a reasoning item cannot be found by its
    id, so it must come back with its encrypted content, which the server sends only on request."""
    conversation = Conversation([ChatMessage("user", "hi")])
    stateless = openai_responses.build_request("http://h/v1", "k", "m", conversation, RequestOptions(tools=(WEATHER,), extra_body={"store": False})).body
    assert stateless["include"] == ["reasoning.encrypted_content"] and stateless["store"] is False
    assert "include" not in openai_responses.build_request("http://h/v1", "k", "m", conversation, RequestOptions(tools=(WEATHER,))).body
    assert "include" not in openai_responses.build_request("http://h/v1", "k", "m", conversation, RequestOptions(extra_body={"store": False})).body


NO_TOOLS = Conversation(
    [ChatMessage("user", "hi"), ChatMessage("assistant", "hello", [ThinkingBlock("mm", "sig", None, "litellm")]), ChatMessage("assistant", "  "), ChatMessage("user", "more")],
    system="be brief",
)
# Each body as the wires built it before tools existed (captured from that code, byte for byte).
BEFORE_TOOLS = {
    ("openai_chat", True): '{"model": "m", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello", "thinking_blocks": [{"type": "thinking", "thinking": "mm", "signature": "sig"}]}, {"role": "user", "content": "more"}], "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 100, "thinking": {"type": "enabled"}, "reasoning_effort": "high"}',
    ("openai_responses", True): '{"model": "m", "input": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "assistant", "content": "  "}, {"role": "user", "content": "more"}], "instructions": "be brief", "reasoning": {"effort": "high", "summary": "auto"}, "max_output_tokens": 100, "stream": true}',
    ("openai_chat", False): '{"model": "m", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "more"}], "stream": true, "stream_options": {"include_usage": true}}',
    ("openai_responses", False): '{"model": "m", "input": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "assistant", "content": "  "}, {"role": "user", "content": "more"}], "instructions": "be brief", "stream": true}',
}


@pytest.mark.parametrize(("wire", "options_set"), sorted(BEFORE_TOOLS))
def test_without_tools_the_body_is_byte_for_byte_what_it_was(wire, options_set):
    options = RequestOptions(effort="high", max_tokens=100, provider_id="litellm", effort_style="deepseek") if options_set else RequestOptions()
    module = openai_chat if wire == "openai_chat" else openai_responses
    assert json.dumps(module.build_request("http://x/v1", "k", "m", NO_TOOLS, options).body) == BEFORE_TOOLS[(wire, options_set)]


# ---- round trip: decode -> fold -> result -> the follow-up request, exactly


def _folded(wire: str, name: str, provider: str = "openai") -> AnswerBuilder:
    """A tool step folded as `HttpTurn` folds it: everything but the step's Done("tool_use"),
    which is not the end of the answer (the results and the next step follow)."""
    return _step(AnswerBuilder(provider), decode_chunks(wire, [raw(name)]))


def _step(builder: AnswerBuilder, events) -> AnswerBuilder:
    assert events[-1] == Done("tool_use")
    for event in events[:-1]:
        builder.apply(event)
    return builder


def _follow_up_chat(builder: AnswerBuilder, results: list[ToolCallResult], options: RequestOptions | None = None) -> dict:
    for result in results:
        builder.apply(result)
    conversation = Conversation([ChatMessage("user", "What's the weather like in Edinburgh? And AAPL?"), builder.answer().message()])
    return openai_chat.build_request("http://h/v1", "k", "m", conversation, options or RequestOptions(tools=(WEATHER,))).body


def test_chat_follow_up_sends_the_calls_exactly_as_received_then_one_tool_message_each():
    builder = _folded("openai_chat", "openai_chat_parallel.sse")
    (weather, stock) = CALLS["openai_chat_parallel.sse"]
    body = _follow_up_chat(builder, [ToolCallResult(weather[0], weather[1], "12°C, rain"), ToolCallResult(stock[0], stock[1], "Denied by the user.", is_error=True, status="denied")])
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_JMW1whyEaYG438VE1OIflxA2", "type": "function", "function": {"name": "GetWeatherArgs", "arguments": '{"city": "Edinburgh", "country": "GB", "units": "c"}'}},
                {"id": "call_DNYTawLBoN8fj3KN6qU9N1Ou", "type": "function", "function": {"name": "get_stock_price", "arguments": '{"ticker": "AAPL", "exchange": "NASDAQ"}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_JMW1whyEaYG438VE1OIflxA2", "content": "12°C, rain"},
        {"role": "tool", "tool_call_id": "call_DNYTawLBoN8fj3KN6qU9N1Ou", "content": "Denied by the user."},
    ]


def test_chat_follow_up_of_a_whole_answer_sends_each_step_then_the_final_words():
    """A second step's text (the answer after the results) follows the tool messages."""
    builder = _folded("openai_chat", "openai_chat_ollama.sse", "ollama")
    builder.apply(ToolCallResult("call_lbcjwr0u", "run_command", "a.txt"))
    for event in decode_chunks("openai_chat", [chat_frames('{"choices":[{"index":0,"delta":{"content":"There is a.txt."},"finish_reason":"stop"}]}')]):
        builder.apply(event)
    body = openai_chat.build_request("http://h/v1", None, "m", Conversation([ChatMessage("user", "ls"), builder.answer().message()]), RequestOptions()).body
    assert body["messages"] == [
        {"role": "user", "content": "ls"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_lbcjwr0u", "type": "function", "function": {"name": "run_command", "arguments": '{"command":"ls -a"}'}}]},
        {"role": "tool", "tool_call_id": "call_lbcjwr0u", "content": "a.txt"},
        {"role": "assistant", "content": "There is a.txt."},
    ]
    assert "tools" not in body  # nothing offered this time: no tools field, the history still goes back whole


def test_a_step_with_words_sends_them_beside_its_calls_and_an_empty_one_sends_null():
    """openai-python types `content` as optional when `tool_calls` is given; null (never "") is
    what OpenAI itself returns there, and some gateways refuse an empty string beside tool_calls."""
    call = ToolCall("c1", "f", '{"a":1}')
    said = ToolRound([], "Let me look.", [call], [ToolResult("c1", "f", "1")])
    silent = ToolRound([], "", [ToolCall("c2", "f", "{}")], [ToolResult("c2", "f", "2")])
    message = ChatMessage("assistant", "Done.", rounds=[said, silent])
    body = openai_chat.build_request("http://h/v1", None, "m", Conversation([ChatMessage("user", "go"), message]), RequestOptions()).body
    assert [m.get("content") for m in body["messages"]] == ["go", "Let me look.", "1", None, "2", "Done."]


def test_deepseek_thinking_goes_back_as_reasoning_content_on_a_tool_step():
    """DeepSeek's thinking mode refuses a tool follow-up without the step's reasoning_content;
    an answer that called no tools still sends none (as before)."""
    thinking = [ThinkingBlock("I should call f.", provider="deepseek")]
    step = ToolRound(thinking, "", [ToolCall("c1", "f", "{}")], [ToolResult("c1", "f", "1")])
    message = ChatMessage("assistant", "It is 1.", [ThinkingBlock("Got 1.", provider="deepseek")], rounds=[step])
    plain = ChatMessage("assistant", "Hi.", [ThinkingBlock("greet", provider="deepseek")])
    conversation = Conversation([ChatMessage("user", "a"), plain, ChatMessage("user", "b"), message])
    options = RequestOptions(provider_id="deepseek", effort_style="deepseek")
    messages = openai_chat.build_request("http://h/v1", None, "m", conversation, options).body["messages"]
    assert messages[1] == {"role": "assistant", "content": "Hi."}
    assert messages[3] == {"role": "assistant", "content": None, "reasoning_content": "I should call f.", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    assert messages[5] == {"role": "assistant", "content": "It is 1.", "reasoning_content": "Got 1."}
    other = openai_chat.build_request("http://h/v1", None, "m", conversation, RequestOptions(provider_id="openai")).body["messages"]
    assert "reasoning_content" not in json.dumps(other)


def test_signed_thinking_of_a_tool_step_goes_back_to_litellm_before_the_calls():
    step = ToolRound([ThinkingBlock("plan", "sig-1", None, "litellm")], "", [ToolCall("t1", "f", "{}")], [ToolResult("t1", "f", "x")])
    message = ChatMessage("assistant", "ok", rounds=[step])
    messages = openai_chat.build_request("http://h/v1", None, "m", Conversation([ChatMessage("user", "u"), message]), RequestOptions(provider_id="litellm")).body["messages"]
    assert messages[1]["thinking_blocks"] == [{"type": "thinking", "thinking": "plan", "signature": "sig-1"}]
    assert list(messages[1]) == ["role", "content", "thinking_blocks", "tool_calls"]


def test_responses_follow_up_matches_what_openai_accepted_with_the_arguments_exactly_as_sent():
    """The recorded conversation's second request (tests/fixtures/tools/
    openai_responses_reasoning_followup_request.json) was accepted by OpenAI: the reasoning item
    as received, the function_call (no item id), then its output. rtchat sends the same items;
    the one difference is that it sends the arguments byte for byte as the model sent them,
    where the recording's client had re-serialised them."""
    builder = _folded("openai_responses", "openai_responses_reasoning_call.sse")
    builder.apply(ToolCallResult("call_uy7tfNVokIN7NjFF6k7OtLyl", "lookup_population", "123124"))
    accepted = json.loads(raw("openai_responses_reasoning_followup_request.json"))
    user = accepted["input"][0]
    conversation = Conversation([ChatMessage("user", user["content"]), builder.answer().message()])
    body = openai_responses.build_request("http://h/v1", "k", "gpt-5.5", conversation, RequestOptions(provider_id="openai", tools=(WEATHER,))).body
    expected = [dict(item) for item in accepted["input"]]
    expected[2]["arguments"] = '{"country":"Pundora"}'  # the recording re-serialised it as '{"country": "Pundora"}'
    assert body["input"] == expected
    # Another provider on the Responses wire cannot read OpenAI's reasoning items: they stay home.
    elsewhere = openai_responses.build_request("http://h/v1", "k", "m", conversation, RequestOptions(provider_id="azure")).body
    assert elsewhere["input"] == [expected[0], *expected[2:]]


def test_responses_follow_up_puts_a_steps_words_after_its_reasoning_and_before_its_calls():
    reasoning = json.dumps([{"id": "rs_1", "type": "reasoning", "summary": []}])
    first = ToolCall("call_1", "f", '{"x":1}', {"item_id": "fc_1", "reasoning": reasoning}, "openai")
    second = ToolCall("call_2", "g", "{}", {"item_id": "fc_2"}, "openai")
    step = ToolRound([ThinkingBlock("", provider="openai")], "Checking.", [first, second], [ToolResult("call_1", "f", "1"), ToolResult("call_2", "g", "2")])
    message = ChatMessage("assistant", "Both done.", rounds=[step])
    body = openai_responses.build_request("http://h/v1", None, "m", Conversation([ChatMessage("user", "go"), message]), RequestOptions(provider_id="openai")).body
    assert body["input"] == [
        {"role": "user", "content": "go"},
        {"id": "rs_1", "type": "reasoning", "summary": []},
        {"role": "assistant", "content": "Checking."},
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": '{"x":1}'},
        {"type": "function_call", "call_id": "call_2", "name": "g", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "1"},
        {"type": "function_call_output", "call_id": "call_2", "output": "2"},
        {"role": "assistant", "content": "Both done."},
    ]


def test_an_interrupted_call_goes_back_answered_on_both_wires():
    """A call the user stopped before its result still gets one (every provider refuses a call
    without a result); the fold words it, the wires send it."""
    builder = _folded("openai_chat", "openai_chat_parallel.sse")
    weather = CALLS["openai_chat_parallel.sse"][0]
    builder.apply(ToolCallResult(weather[0], weather[1], "12°C"))
    message = builder.answer().message()
    chat = openai_chat.build_request("http://h/v1", None, "m", Conversation([ChatMessage("user", "u"), message]), RequestOptions()).body["messages"]
    assert [m.get("tool_call_id") for m in chat[2:]] == [call[0] for call in CALLS["openai_chat_parallel.sse"]]
    responses = openai_responses.build_request("http://h/v1", None, "m", Conversation([ChatMessage("user", "u"), message]), RequestOptions()).body["input"]
    assert [item["call_id"] for item in responses if item.get("type") == "function_call_output"] == [call[0] for call in CALLS["openai_chat_parallel.sse"]]


# ---- the Responses WebSocket mode: the same protocol object, builders and decoder


def test_the_responses_socket_offers_tools_and_decodes_calls_from_frames():
    protocol = ResponsesSocketProtocol("gpt-5.5")
    protocol.begin()
    protocol.send_turn(Conversation([ChatMessage("user", "x")]), RequestOptions(tools=(WEATHER,)))
    (frame,) = [json.loads(data) for data in protocol.data_to_send()]
    assert frame["type"] == "response.create" and frame["tools"][0]["name"] == "get_weather" and "stream" not in frame
    for block in raw("openai_responses_reasoning_call.sse").decode().split("\n\n"):
        data = [line[len("data: "):] for line in block.splitlines() if line.startswith("data: ")]
        if data:
            protocol.receive_data(data[0])
    events = protocol.events_received()
    assert calls_of(events) == CALLS["openai_responses_reasoning_call.sse"] and events[-1] == Done("tool_use")

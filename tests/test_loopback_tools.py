"""The loopback `tools` model: what it calls and says (pure), and each HTTP wire's tool-call stream,
follow-up and rejection over real sockets to a started loopback."""

from __future__ import annotations

import json

import aiohttp
import httpx
import pytest

from rtchat.conversation import Conversation
from rtchat.events import Done, Error, TextDelta, ToolCallRequest
from rtchat.loopback.anthropic_messages import sign_thinking
from rtchat.loopback.gemini import thought_signature
from rtchat.loopback.tool_model import (
    Call,
    Result,
    Step,
    Tool,
    argument_pieces,
    check_steps,
    next_reply,
    same_json,
    sample_arguments,
)
from tests.support.tool_turns import TURN_TARGETS, ClockTool, tool_session
from tests.support.tool_wires import ID_PREFIX, WIRES, Received, first_request, follow_up, read_stream, sse_json

TIME = Tool(
    "time__now",
    {
        "type": "object",
        "properties": {"timezone": {"type": "string", "default": "UTC"}, "format": {"enum": ["iso", "unix"]}, "note": {"type": "string"}},
        "required": ["timezone", "format"],
    },
)
CALC = Tool("calc__add", {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "number"}}, "required": ["a", "b"]})
TOOLS = (TIME, CALC)


# ---------------------------------------------------------------- the model (pure)


def test_without_a_named_call_the_first_tool_is_called_with_a_sample_of_its_required_properties():
    reply = next_reply(TOOLS, "what time is it?")
    assert reply.calls == (Call("call_1", "time__now", '{"timezone":"UTC","format":"iso"}'),)
    assert reply.text == ""
    assert "time__now" in reply.thinking


def test_schema_samples_per_type():
    schema = {
        "type": "object",
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number", "minimum": 3}}, "required": ["x"]}},
        "properties": {
            "n": {"type": "integer", "maximum": 0},
            "flag": {"type": "boolean"},
            "when": {"type": "string", "format": "date"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "maybe": {"type": ["null", "integer"]},
            "point": {"$ref": "#/$defs/Point"},
            "choice": {"anyOf": [{"type": "null"}, {"const": "k"}]},
            "optional": {"type": "string"},
        },
        "required": ["n", "flag", "when", "tags", "maybe", "point", "choice"],
    }
    assert sample_arguments(schema) == {
        "n": 0, "flag": True, "when": "2025-01-01", "tags": ["sample"], "maybe": 1, "point": {"x": 3.0}, "choice": "k",
    }


def test_named_calls_in_the_prompt_are_made_in_parallel_with_json_or_string_values():
    reply = next_reply(TOOLS, 'Please calc__add(a=2, b=0.5) and time__now(timezone=Europe/Paris, format="unix", note=[1, "x, y"])')
    assert reply.calls == (
        Call("call_1", "calc__add", '{"a":2,"b":0.5}'),
        Call("call_2", "time__now", '{"timezone":"Europe/Paris","format":"unix","note":[1,"x, y"]}'),
    )


def test_bare_values_fill_the_schema_properties_in_order():
    assert next_reply(TOOLS, "calc__add(1, 'two')").calls[0].arguments == '{"a":1,"b":"two"}'


def test_then_chains_one_step_after_another_and_the_answer_quotes_every_result():
    prompt = "calc__add(a=1, b=2) then time__now(timezone=UTC)"
    first = next_reply(TOOLS, prompt, id_prefix="toolu_")
    assert [call.id for call in first.calls] == ["toolu_1"]
    done = [Step(first.calls, (Result("toolu_1", "3"),))]
    second = next_reply(TOOLS, prompt, done, id_prefix="toolu_")
    assert second.calls == (Call("toolu_2", "time__now", '{"timezone":"UTC"}'),)
    done.append(Step(second.calls, (Result("toolu_2", "boom", is_error=True),)))
    final = next_reply(TOOLS, prompt, done, id_prefix="toolu_")
    assert final.calls == ()
    assert final.text == "calc__add returned: 3\n\ntime__now failed: boom"


def test_after_results_there_is_no_second_round_unless_asked():
    first = next_reply(TOOLS, "hi")
    final = next_reply(TOOLS, "hi", [Step(first.calls, (Result("call_1", "12:00"),))])
    assert (final.calls, final.text) == ((), "time__now returned: 12:00")


def test_ids_continue_after_the_calls_earlier_in_the_conversation():
    assert next_reply(TOOLS, "hi", first_number=4).calls[0].id == "call_4"


def test_a_model_offered_no_tools_says_so():
    reply = next_reply((), "hello")
    assert reply.calls == ()
    assert "offered no tools" in reply.text and reply.text.endswith("hello")


def test_arguments_stream_in_several_pieces_that_join_back():
    text = '{"timezone":"Europe/Paris","format":"iso"}'
    pieces = argument_pieces(text)
    assert len(pieces) > 2 and "".join(pieces) == text


def test_check_steps_accepts_what_the_model_sent_and_names_what_differs():
    prompt = "calc__add(a=1, b=2) and time__now()"
    calls = next_reply(TOOLS, prompt).calls
    results = (Result("call_1", "3"), Result("call_2", "now"))
    assert check_steps(TOOLS, prompt, [Step(calls, results)]) is None
    altered = (Call("call_1", "calc__add", '{"a":1,"b":3}'), calls[1])
    assert check_steps(TOOLS, prompt, [Step(altered, results)]).kind == "altered_arguments"
    unknown = check_steps(TOOLS, prompt, [Step(calls, (results[0], Result("call_9", "x")))])
    assert (unknown.kind, unknown.call_ids) == ("unknown_result", ("call_9",))
    assert check_steps(TOOLS, prompt, [Step(calls, results[:1])]).call_ids == ("call_2",)
    assert check_steps(TOOLS, prompt, [Step(calls[:1], results[:1])]).kind == "missing_call"
    respaced = (Call("call_1", "calc__add", '{"b": 2, "a": 1}'), calls[1])
    assert check_steps(TOOLS, prompt, [Step(respaced, results)]) is not None
    assert check_steps(TOOLS, prompt, [Step(respaced, results)], same_arguments=same_json) is None


# ---------------------------------------------------------------- every HTTP wire, over real sockets


async def post(server, path: str, body: dict) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        return await client.post(path, json=body)


async def first_step(server, wire: str, prompt: str = "What time is it?", **options) -> tuple[str, dict, Received]:
    path, body = first_request(wire, prompt, **options)
    response = await post(server, path, body)
    assert response.status_code == 200, response.text
    return path, body, read_stream(wire, response.text)


STOP_WORD = {"openai_chat": "tool_calls", "anthropic": "tool_use", "gemini": "STOP", "openai_responses": "completed"}


@pytest.mark.parametrize("wire", WIRES)
async def test_each_wire_streams_a_call_of_the_offered_tool_with_arguments_in_pieces(loopback, wire):
    _, _, step = await first_step(loopback, wire)
    call_id = ID_PREFIX[wire] + "1"
    assert step.calls == [(call_id, "time__now", '{"timezone":"UTC"}')]
    assert step.stop == STOP_WORD[wire]
    assert step.text == ""
    if wire != "gemini":  # Gemini sends a functionCall whole, its args an object
        assert len(step.argument_pieces[call_id]) > 1
    assert step.usage  # usage rides on every wire's tool step


@pytest.mark.parametrize("wire", WIRES)
async def test_each_wire_answers_from_the_results_of_a_correct_follow_up(loopback, wire):
    path, body, step = await first_step(loopback, wire)
    (call_id, _, _), = step.calls
    response = await post(loopback, path, follow_up(wire, body, step, {call_id: "12:00 UTC"}))
    assert response.status_code == 200, response.text
    final = read_stream(wire, response.text)
    assert final.calls == []
    assert final.text == "time__now returned: 12:00 UTC"
    assert final.stop == {"openai_chat": "stop", "anthropic": "end_turn", "gemini": "STOP", "openai_responses": "completed"}[wire]


@pytest.mark.parametrize("wire", WIRES)
async def test_each_wire_refuses_altered_arguments_in_its_own_error_shape(loopback, wire):
    path, body, step = await first_step(loopback, wire)
    (call_id, name, _), = step.calls
    step.calls = [(call_id, name, '{"timezone":"Mars/Olympus"}')]
    altered = follow_up(wire, body, step, {call_id: "12:00"})
    if wire == "openai_chat":
        altered["messages"][1]["tool_calls"][0]["function"]["arguments"] = '{"timezone":"Mars/Olympus"}'
    elif wire == "anthropic":
        next(b for b in altered["messages"][1]["content"] if b["type"] == "tool_use")["input"] = {"timezone": "Mars/Olympus"}
    elif wire == "gemini":
        altered["contents"][1]["parts"][0]["functionCall"]["args"] = {"timezone": "Mars/Olympus"}
    else:
        next(item for item in altered["input"] if item.get("type") == "function_call")["arguments"] = '{"timezone":"Mars/Olympus"}'
    response = await post(loopback, path, altered)
    assert response.status_code == 400
    assert_error_shape(wire, response.json(), "Mars/Olympus")


def assert_error_shape(wire: str, body: dict, words: str) -> None:
    """Each provider's real 400 envelope, exactly these keys."""
    if wire in ("openai_chat", "openai_responses"):
        assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["type"] == "invalid_request_error"
        assert words in body["error"]["message"]
    elif wire == "anthropic":
        assert set(body) == {"type", "error"} and body["type"] == "error"
        assert body["error"] == {"type": "invalid_request_error", "message": body["error"]["message"]}
        assert words in body["error"]["message"]
    else:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "status"}
        assert (body["error"]["code"], body["error"]["status"]) == (400, "INVALID_ARGUMENT")
        assert words in body["error"]["message"]


async def test_chat_refuses_a_tool_message_with_an_unknown_tool_call_id(loopback):
    path, body, step = await first_step(loopback, "openai_chat")
    bad = follow_up("openai_chat", body, step, {"call_1": "12:00"})
    bad["messages"][-1]["tool_call_id"] = "call_7"
    response = await post(loopback, path, bad)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        "type": "invalid_request_error",
        "param": "messages.[2].role",
        "code": None,
    }


async def test_chat_refuses_a_tool_message_without_a_tool_call_id(loopback):
    path, body, step = await first_step(loopback, "openai_chat")
    bad = follow_up("openai_chat", body, step, {"call_1": "12:00"})
    del bad["messages"][-1]["tool_call_id"]
    response = await post(loopback, path, bad)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'."
    assert response.json()["error"]["param"] == "messages.[2].tool_call_id"


async def test_chat_refuses_a_call_left_without_its_tool_message(loopback):
    path, body, step = await first_step(loopback, "openai_chat")
    bad = follow_up("openai_chat", body, step, {"call_1": "12:00"})
    bad["messages"][-1] = {"role": "user", "content": "and?"}
    response = await post(loopback, path, bad)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].endswith("The following tool_call_ids did not have response messages: call_1")
    assert error["param"] == "messages.[1].role"


async def test_chat_refuses_a_call_id_the_model_never_made(loopback):
    path, body, step = await first_step(loopback, "openai_chat")
    step.calls = [("call_99", "time__now", '{"timezone":"UTC"}')]
    step.echo["tool_calls"][0]["id"] = "call_99"
    response = await post(loopback, path, follow_up("openai_chat", body, step, {"call_99": "12:00"}))
    assert response.status_code == 400
    assert "`call_99` was not made by this model" in response.json()["error"]["message"]


async def test_anthropic_sends_signed_thinking_before_the_tool_use_and_wants_it_back(loopback):
    path, body, step = await first_step(loopback, "anthropic")
    kinds = [block["type"] for block in step.echo["content"]]
    assert kinds == ["thinking", "tool_use"]
    thinking = step.echo["content"][0]
    assert thinking["signature"] == sign_thinking(thinking["thinking"], 0)
    assert "time__now" in thinking["thinking"]

    dropped = follow_up("anthropic", body, step, {"toolu_1": "12:00"})
    dropped["messages"][1]["content"] = dropped["messages"][1]["content"][1:]
    response = await post(loopback, path, dropped)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    )

    forged = follow_up("anthropic", body, step, {"toolu_1": "12:00"})
    forged["messages"][1]["content"][0]["signature"] = sign_thinking("something else", 0)
    response = await post(loopback, path, forged)
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "messages.1.content.0: Invalid `signature` in `thinking` block"},
    }

    unsigned = follow_up("anthropic", body, step, {"toolu_1": "12:00"})
    del unsigned["messages"][1]["content"][0]["signature"]
    assert (await post(loopback, path, unsigned)).status_code == 400


async def test_anthropic_refuses_a_tool_result_for_an_unknown_tool_use(loopback):
    path, body, step = await first_step(loopback, "anthropic", thinking=False)
    assert [block["type"] for block in step.echo["content"]] == ["tool_use"]
    bad = follow_up("anthropic", body, step, {"toolu_1": "12:00"})
    bad["messages"][2]["content"][0]["tool_use_id"] = "toolu_x"
    response = await post(loopback, path, bad)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    )


async def test_gemini_puts_a_thought_signature_on_the_call_part_and_wants_it_back(loopback):
    path, body, step = await first_step(loopback, "gemini")
    (part,) = step.echo["parts"]
    assert part["thoughtSignature"] == thought_signature(Call("call_1", "time__now", '{"timezone":"UTC"}'))

    unsigned = follow_up("gemini", body, step, {"call_1": "12:00"})
    del unsigned["contents"][1]["parts"][0]["thoughtSignature"]
    response = await post(loopback, path, unsigned)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Function call is missing a thought_signature in functionCall parts.")
    assert "`default_api:time__now`" in error["message"]

    altered = follow_up("gemini", body, step, {"call_1": "12:00"})
    altered["contents"][1]["parts"][0]["thoughtSignature"] = "AAAA"
    response = await post(loopback, path, altered)
    assert response.json()["error"] == {"code": 400, "message": "Corrupted thought signature.", "status": "INVALID_ARGUMENT"}


async def test_gemini_accepts_a_follow_up_without_the_optional_ids(loopback):
    path, body, step = await first_step(loopback, "gemini")
    bare = follow_up("gemini", body, step, {"call_1": "12:00"})
    del bare["contents"][1]["parts"][0]["functionCall"]["id"]
    del bare["contents"][2]["parts"][0]["functionResponse"]["id"]
    response = await post(loopback, path, bare)
    assert response.status_code == 200, response.text
    assert read_stream("gemini", response.text).text == "time__now returned: 12:00"


async def test_responses_refuses_an_output_without_its_function_call(loopback):
    path, body, step = await first_step(loopback, "openai_responses")
    bad = follow_up("openai_responses", body, step, {"call_1": "12:00"})
    bad["input"] = [item for item in bad["input"] if item.get("type") != "function_call"]
    response = await post(loopback, path, bad)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "No tool call found for function call output with call_id call_1.",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }


async def test_responses_stream_announces_streams_and_closes_the_function_call_item(loopback):
    path, body = first_request("openai_responses", "What time is it?")
    events = [event for _, event in sse_json((await post(loopback, path, body)).text)]
    calls = [e for e in events if "function_call" in e["type"] or e.get("item", {}).get("type") == "function_call"]
    kinds = [e["type"] for e in calls]
    assert kinds[0] == "response.output_item.added" and kinds[-1] == "response.output_item.done"
    assert kinds[-2] == "response.function_call_arguments.done"
    assert set(kinds[1:-2]) == {"response.function_call_arguments.delta"}
    added, done = calls[0]["item"], calls[-1]["item"]
    assert (added["id"], added["call_id"], added["name"], added["arguments"], added["status"]) == ("fc_1", "call_1", "time__now", "", "in_progress")
    assert (done["arguments"], done["status"]) == ('{"timezone":"UTC"}', "completed")
    assert calls[-2]["arguments"] == '{"timezone":"UTC"}'
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    completed = events[-1]
    assert completed["type"] == "response.completed"
    assert [item["type"] for item in completed["response"]["output"]] == ["reasoning", "function_call"]


@pytest.mark.parametrize("wire", WIRES)
async def test_named_calls_go_out_in_parallel_and_a_chain_one_step_at_a_time(loopback, wire):
    prefix = ID_PREFIX[wire]
    _, _, step = await first_step(loopback, wire, "calc__add(a=1, b=2) and time__now(timezone=Europe/Paris)")
    assert step.calls == [(prefix + "1", "calc__add", '{"a":1,"b":2}'), (prefix + "2", "time__now", '{"timezone":"Europe/Paris"}')]

    path, body, step = await first_step(loopback, wire, "calc__add(a=1, b=2) then time__now()")
    assert step.calls == [(prefix + "1", "calc__add", '{"a":1,"b":2}')]
    body = follow_up(wire, body, step, {prefix + "1": "3"})
    second = read_stream(wire, (await post(loopback, path, body)).text)
    assert second.calls == [(prefix + "2", "time__now", "{}")]
    body = follow_up(wire, body, second, {prefix + "2": "noon"})
    final = read_stream(wire, (await post(loopback, path, body)).text)
    assert final.text == "calc__add returned: 3\n\ntime__now returned: noon"


@pytest.mark.parametrize("wire", WIRES)
async def test_without_tools_offered_the_model_answers_plainly(loopback, wire):
    _, _, step = await first_step(loopback, wire, "hello there", tools=False)
    assert step.calls == []
    assert step.text == next_reply((), "hello there").text


async def test_call_ids_continue_after_an_earlier_turn(loopback):
    path, body, step = await first_step(loopback, "openai_chat")
    body = follow_up("openai_chat", body, step, {"call_1": "12:00"})
    final = read_stream("openai_chat", (await post(loopback, path, body)).text)
    body["messages"] += [{"role": "assistant", "content": final.text}, {"role": "user", "content": "and now?"}]
    second = read_stream("openai_chat", (await post(loopback, path, body)).text)
    assert second.calls == [("call_2", "time__now", '{"timezone":"UTC"}')]


async def test_non_streaming_answers_carry_the_calls_too(loopback):
    path, body = first_request("openai_chat", "What time is it?")
    body["stream"] = False
    message = (await post(loopback, path, body)).json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    assert message["message"]["tool_calls"] == [{"id": "call_1", "type": "function", "function": {"name": "time__now", "arguments": '{"timezone":"UTC"}'}}]


async def test_responses_websocket_mode_streams_the_same_call_and_refuses_a_mismatch(loopback):
    _, body = first_request("openai_responses", "What time is it?")
    async with aiohttp.ClientSession() as session, session.ws_connect(loopback.url + "/v1/responses") as socket:
        await socket.send_json({"type": "response.create", **{k: v for k, v in body.items() if k != "stream"}})
        events = await socket_events(socket)
        completed = events[-1]["response"]
        calls = [item for item in completed["output"] if item["type"] == "function_call"]
        assert [(c["call_id"], c["name"], c["arguments"]) for c in calls] == [("call_1", "time__now", '{"timezone":"UTC"}')]
        assert any(e["type"] == "response.function_call_arguments.delta" for e in events)

        orphan = {**body, "input": body["input"] + [{"type": "function_call_output", "call_id": "call_1", "output": "12:00"}]}
        await socket.send_json({"type": "response.create", **{k: v for k, v in orphan.items() if k != "stream"}})
        error = await socket.receive_json()
        assert error == {
            "type": "error",
            "status": 400,
            "error": {
                "message": "No tool call found for function call output with call_id call_1.",
                "type": "invalid_request_error",
                "param": "input",
                "code": None,
            },
        }

        good = {**body, "input": body["input"] + calls + [{"type": "function_call_output", "call_id": "call_1", "output": "12:00"}]}
        await socket.send_json({"type": "response.create", **{k: v for k, v in good.items() if k != "stream"}})
        events = await socket_events(socket)
        assert "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta") == "time__now returned: 12:00"


async def socket_events(socket) -> list[dict]:
    """Events up to the response's end."""
    events = []
    while not events or events[-1]["type"] not in ("response.completed", "response.failed", "error"):
        events.append(await socket.receive_json())
    return events


# ---------------------------------------------------------------- rtchat's own turn, through a whole tool loop


@pytest.mark.parametrize("wire", WIRES)
async def test_rtchat_http_turn_runs_a_whole_tool_loop_on_each_wire(isolated, loopback, monkeypatch, wire):
    ref, suffix, _, _ = TURN_TARGETS[wire]
    session = tool_session(wire, monkeypatch)
    runner = ClockTool()
    conversation = Conversation()
    conversation.add_user("What time is it?")
    try:
        target = await session.resolve(ref, loopback.url + suffix)
        turn = session.turn(target, conversation, "low", tools=runner)
        events = [event async for event in turn.events()]
    finally:
        await session.aclose()

    (ran,) = runner.ran
    assert ran[:2] == (ID_PREFIX[wire] + "1", "time__now")
    assert json.loads(ran[2]) == {"timezone": "UTC"}  # Gemini sends an object: its decoder writes the text
    if wire != "gemini":
        assert ran[2] == '{"timezone":"UTC"}', "arguments reach the tool exactly as the model sent them"
    requested = [e for e in events if isinstance(e, ToolCallRequest)]
    assert [(e.id, e.name, e.arguments) for e in requested] == runner.ran
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "time__now returned: 12:00 UTC"
    assert isinstance(events[-1], Done) and events[-1].reason == "complete"
    assert not [e for e in events if isinstance(e, Error)]
    records = [r for r in loopback.records if r.model == "tools@0"]
    assert [(r.status, r.outcome) for r in records] == [(200, "complete"), (200, "complete")]  # the follow-up matched what was sent


MALFORMED = {  # wire -> bodies' tool parts a careless or hostile client might send
    "openai_chat": [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [{"id": 5, "function": "x"}]}, {"role": "tool", "tool_call_id": 5, "content": [1]}]},
        {"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "", "parameters": "nope"}}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"}]},
    ],
    "anthropic": [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "tool_use"}]}, {"role": "user", "content": [{"type": "tool_result", "content": [None, 3]}]}]},
        {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]}]},
        {"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "t(", "input_schema": {"type": ["null"], "$ref": "#/x/y"}}]},
    ],
    "gemini": [
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"functionCall": {"args": [1]}}]}, {"role": "user", "parts": [{"functionResponse": {"response": 7}}]}]},
        {"contents": [{"role": "user", "parts": [{"functionResponse": {"name": "x"}}]}]},
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "tools": [{"functionDeclarations": [{"name": "t", "parameters": {"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}, "required": ["n"]}}]}]},
    ],
    "openai_responses": [
        {"input": [{"role": "user", "content": "hi"}, {"type": "function_call", "call_id": 3, "arguments": {"a": 1}}, {"type": "function_call_output", "call_id": 3, "output": [1]}]},
        {"input": [{"type": "function_call_output", "output": "x"}]},
        {"input": "hi", "tools": [{"type": "function", "name": 7}, "junk"]},
    ],
}


@pytest.mark.parametrize("wire", WIRES)
async def test_malformed_tool_parts_get_an_answer_or_a_400_never_a_server_error(loopback, wire):
    path, base = first_request(wire, "hi", tools=False)
    for malformed in MALFORMED[wire]:
        response = await post(loopback, path, {**base, **malformed})
        assert response.status_code in (200, 400), (malformed, response.status_code, response.text)
        if response.status_code == 400:
            assert_error_shape(wire, response.json(), "")

"""The loopback `tools` model: what it calls and says (pure), and each HTTP wire's tool-call stream,
follow-up and rejection over real sockets to a started loopback."""

from __future__ import annotations

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

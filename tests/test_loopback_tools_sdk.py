"""The official SDKs' stream accumulators read the loopback's tool calls to the very calls it sent,
send them back their own way, get the answer, and get each provider's error for a mismatch."""

from __future__ import annotations

import base64

import pytest

from rtchat.loopback.gemini import thought_signature
from rtchat.loopback.tool_model import Call, Tool, next_reply
from tests.support import lazy_sdks as sdk
from tests.support.tool_wires import MODEL, TOOLS, tools_field

PROMPT = "calc__add(a=2, b=0.5) and time__now(timezone=Europe/Paris)"
OFFERED = tuple(Tool(name, schema) for name, (_, schema) in TOOLS.items())


def sent(prefix: str) -> list[tuple[str, str, str]]:
    """The calls the loopback model makes for PROMPT, with the wire's id shape."""
    return [(call.id, call.name, call.arguments) for call in next_reply(OFFERED, PROMPT, id_prefix=prefix).calls]


OUTPUTS = {"calc__add": "2.5", "time__now": "13:00"}
ANSWER = "calc__add returned: 2.5\n\ntime__now returned: 13:00"


async def test_openai_chat_stream_helper_accumulates_the_calls(loopback):
    messages: list = [{"role": "user", "content": PROMPT}]
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=0) as client:
        async with client.chat.completions.stream(model=MODEL, messages=messages, tools=tools_field("openai_chat")) as stream:
            completion = await stream.get_final_completion()
        choice = completion.choices[0]
        assert choice.finish_reason == "tool_calls"
        calls = choice.message.tool_calls
        assert [(c.id, c.function.name, c.function.arguments) for c in calls] == sent("call_")

        messages.append(choice.message.model_dump(exclude_none=True, exclude={"parsed", "reasoning_content"}))
        messages += [{"role": "tool", "tool_call_id": c.id, "content": OUTPUTS[c.function.name]} for c in calls]
        async with client.chat.completions.stream(model=MODEL, messages=messages, tools=tools_field("openai_chat")) as stream:
            final = await stream.get_final_completion()
        assert final.choices[0].message.content == ANSWER

        messages[-1]["tool_call_id"] = "call_404"
        with pytest.raises(sdk.openai.BadRequestError) as refused:
            await client.chat.completions.create(model=MODEL, messages=messages, tools=tools_field("openai_chat"))
    assert refused.value.status_code == 400
    assert refused.value.body["type"] == "invalid_request_error"
    assert refused.value.body["param"] == "messages.[3].role"


async def test_openai_responses_stream_helper_assembles_the_function_calls(loopback):
    items: list = [{"role": "user", "content": PROMPT}]
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=0) as client:
        async with client.responses.stream(model=MODEL, input=items, tools=tools_field("openai_responses")) as stream:
            response = await stream.get_final_response()
        calls = [item for item in response.output if item.type == "function_call"]
        assert [(c.call_id, c.name, c.arguments) for c in calls] == sent("call_")
        assert [c.id for c in calls] == ["fc_1", "fc_2"]

        items += [item.model_dump(exclude_none=True) for item in response.output]
        items += [{"type": "function_call_output", "call_id": c.call_id, "output": OUTPUTS[c.name]} for c in calls]
        async with client.responses.stream(model=MODEL, input=items, tools=tools_field("openai_responses")) as stream:
            final = await stream.get_final_response()
        assert final.output_text == ANSWER

        orphaned = [item for item in items if item.get("type") != "function_call"]
        with pytest.raises(sdk.openai.BadRequestError) as refused:
            await client.responses.create(model=MODEL, input=orphaned, tools=tools_field("openai_responses"))
    assert refused.value.body["message"] == "No tool call found for function call output with call_id call_1."


async def test_anthropic_stream_final_message_holds_the_signed_thinking_and_tool_uses(loopback):
    options = {"model": MODEL, "max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 1024}, "tools": tools_field("anthropic")}
    messages: list = [{"role": "user", "content": PROMPT}]
    async with sdk.anthropic.AsyncAnthropic(base_url=loopback.url, api_key="test", max_retries=0) as client:
        async with client.messages.stream(messages=messages, **options) as stream:
            message = await stream.get_final_message()
        assert message.stop_reason == "tool_use"
        assert [block.type for block in message.content] == ["thinking", "tool_use", "tool_use"]
        uses = message.content[1:]
        expected = sent("toolu_")
        assert [(u.id, u.name) for u in uses] == [(i, n) for i, n, _ in expected]
        assert [u.input for u in uses] == [{"a": 2, "b": 0.5}, {"timezone": "Europe/Paris"}]

        messages.append({"role": "assistant", "content": message.content})
        messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": u.id, "content": OUTPUTS[u.name]} for u in uses]})
        async with client.messages.stream(messages=messages, **options) as stream:
            final = await stream.get_final_message()
        assert final.content[-1].text == ANSWER

        forged = [message.content[0].model_copy(update={"thinking": "I did not think that."}), *uses]
        with pytest.raises(sdk.anthropic.BadRequestError) as refused:
            await client.messages.create(messages=[messages[0], {"role": "assistant", "content": forged}, messages[2]], **options)
    assert refused.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "messages.1.content.0: Invalid `signature` in `thinking` block"},
    }


def genai_tools() -> list[sdk.genai.types.Tool]:
    declarations = [sdk.genai.types.FunctionDeclaration(name=name, description=description, parameters_json_schema=schema) for name, (description, schema) in TOOLS.items()]
    return [sdk.genai.types.Tool(function_declarations=declarations)]


async def test_google_genai_stream_reads_the_function_calls_and_their_signature(loopback):
    client = sdk.genai.Client(api_key="test", http_options={"base_url": loopback.url, "api_version": "v1beta"})
    try:
        await genai_round_trip(client)
    finally:
        await client.aio.aclose()


async def genai_round_trip(client: sdk.genai.Client) -> None:
    config = sdk.genai.types.GenerateContentConfig(tools=genai_tools(), automatic_function_calling=sdk.genai.types.AutomaticFunctionCallingConfig(disable=True))
    contents: list = [sdk.genai.types.Content(role="user", parts=[sdk.genai.types.Part(text=PROMPT)])]
    parts = []
    async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents=contents, config=config):
        parts += [part for part in chunk.candidates[0].content.parts if part.function_call]
    calls = [part.function_call for part in parts]
    expected = sent("call_")
    assert [(c.id, c.name) for c in calls] == [(i, n) for i, n, _ in expected]
    assert [c.args for c in calls] == [{"a": 2, "b": 0.5}, {"timezone": "Europe/Paris"}]
    first = Call(*expected[0])
    assert parts[0].thought_signature == base64.b64decode(thought_signature(first))
    assert parts[1].thought_signature is None  # like Gemini: only a step's first call is signed

    contents.append(sdk.genai.types.Content(role="model", parts=parts))
    responses = [sdk.genai.types.Part(function_response=sdk.genai.types.FunctionResponse(id=c.id, name=c.name, response={"output": OUTPUTS[c.name]})) for c in calls]
    contents.append(sdk.genai.types.Content(role="user", parts=responses))
    text = ""
    async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents=contents, config=config):
        text += chunk.text or ""
    assert text == ANSWER

    unsigned = [part.model_copy(update={"thought_signature": None}) for part in parts]
    with pytest.raises(sdk.genai.errors.ClientError) as refused:
        await client.aio.models.generate_content(model=MODEL, contents=[contents[0], sdk.genai.types.Content(role="model", parts=unsigned), contents[2]], config=config)
    assert (refused.value.code, refused.value.status) == (400, "INVALID_ARGUMENT")
    assert "missing a thought_signature" in refused.value.message

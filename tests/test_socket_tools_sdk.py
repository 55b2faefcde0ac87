"""The official SDKs' live clients (openai-python Realtime, google-genai Live) against the loopback
`tools` model: each SDK reads the call by its own types and answers it its own way, and rtchat's
decoder reads the same messages to the same call (test dependencies: a missing SDK fails)."""

from __future__ import annotations

from rtchat.answer import fold
from rtchat.wire.gemini_live import LiveDecoder
from rtchat.wire.openai_realtime import RealtimeDecoder
from tests.support.socket_tools import CLOCK
from tests.support.tls import tls_loopback  # noqa: F401 - a fixture


async def test_openai_sdk_realtime_client_calls_a_tool_and_gets_the_answer(loopback):
    import openai

    client = openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test")
    decoder, decoded, text = RealtimeDecoder(), [], ""
    async with client.realtime.connect(model="tools") as connection:
        tool = {"type": "function", "name": CLOCK.name, "description": CLOCK.description, "parameters": CLOCK.parameters}
        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"], "tools": [tool], "tool_choice": "auto"})
        await connection.conversation.item.create(item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "time__now(timezone=UTC)"}]})
        await connection.response.create()
        calls = {}
        async for event in connection:
            decoded += decoder.feed(event.to_dict())
            if event.type == "response.function_call_arguments.done":
                calls[event.call_id] = (event.name, event.arguments)
            elif event.type == "response.done" and calls:
                assert event.response.status == "completed" and [item.type for item in event.response.output] == ["function_call"]
                break
        (call_id,) = calls
        await connection.conversation.item.create(item={"type": "function_call_output", "call_id": call_id, "output": "12:00 UTC"})
        await connection.response.create()
        async for event in connection:
            if event.type == "response.output_text.delta":
                text += event.delta
            elif event.type == "response.done":
                break
    assert calls == {"call_1": ("time__now", '{"timezone":"UTC"}')}
    (call,) = fold(decoded).tool_calls
    assert (call.id, call.name, call.arguments) == ("call_1", "time__now", '{"timezone":"UTC"}'), "rtchat reads the same call as the SDK"
    assert text == "time__now returned: 12:00 UTC"


async def test_google_genai_live_client_calls_a_tool_and_gets_the_answer(tls_loopback):
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="test", http_options={"base_url": tls_loopback.url, "api_version": "v1beta"})
    declaration = types.FunctionDeclaration(name=CLOCK.name, description=CLOCK.description, parameters_json_schema=CLOCK.parameters)
    config = types.LiveConnectConfig(response_modalities=["TEXT"], tools=[types.Tool(function_declarations=[declaration])])
    decoder, decoded, text = LiveDecoder(), [], ""
    async with client.aio.live.connect(model="tools", config=config) as live:
        await live.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="time__now(timezone=UTC)")]), turn_complete=True)
        async for message in live.receive():
            decoded += decoder.feed(message.model_dump(mode="json", by_alias=True, exclude_none=True))
            if message.tool_call:
                break
        (call,) = message.tool_call.function_calls
        await live.send_tool_response(function_responses=[types.FunctionResponse(id=call.id, name=call.name, response={"output": "12:00 UTC"})])
        async for message in live.receive():
            if message.text:
                text += message.text
            if message.server_content and message.server_content.turn_complete:
                break
    assert (call.id, call.name, call.args) == ("call_1", "time__now", {"timezone": "UTC"})
    (mine,) = fold(decoded).tool_calls
    assert (mine.id, mine.name, mine.parsed()) == ("call_1", "time__now", {"timezone": "UTC"}), "rtchat reads the same call as the SDK"
    assert "time__now returned:" in text and "12:00 UTC" in text

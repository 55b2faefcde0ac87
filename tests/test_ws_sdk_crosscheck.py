"""The official SDKs' live clients against the loopback WebSocket endpoints (test dependencies: a missing one fails, it is not skipped)."""

from __future__ import annotations

from rtchat.loopback.scripts import Conversation, Message, echo_text
from tests.support.tls import tls_loopback  # noqa: F401 - a fixture


async def test_openai_sdk_realtime_client_completes_a_text_turn(loopback):
    import openai

    client = openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test")  # ws://.../v1/realtime
    text, kinds = "", []
    async with client.realtime.connect(model="echo") as connection:
        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await connection.conversation.item.create(item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello sdk"}]})
        await connection.response.create()
        async for event in connection:
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                text += event.delta
            elif event.type == "response.done":
                assert event.response.status == "completed"
                assert event.response.usage.output_tokens > 0
                break
    assert kinds[0] == "session.created" and "session.updated" in kinds
    assert text == echo_text(Conversation(messages=(Message("user", "hello sdk"),)))
    assert loopback.connections[0].responses == 1


async def test_openai_sdk_realtime_client_cancels(loopback):
    import openai

    client = openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test")
    async with client.realtime.connect(model="lorem@rate=100") as connection:
        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await connection.conversation.item.create(item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]})
        await connection.response.create()
        deltas = 0
        async for event in connection:
            if event.type == "response.output_text.delta":
                deltas += 1
                if deltas == 3:
                    await connection.response.cancel()
            elif event.type == "response.done":
                assert event.response.status == "cancelled"
                break
    assert loopback.records[-1].cancel_received is not None


async def test_google_genai_live_client_completes_a_text_turn(tls_loopback):
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="test", http_options={"base_url": tls_loopback.url, "api_version": "v1beta"})
    config = types.LiveConnectConfig(response_modalities=["TEXT"])
    text = ""
    async with client.aio.live.connect(model="echo", config=config) as live:
        await live.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="hello genai")]), turn_complete=True)
        async for message in live.receive():
            if message.text:
                text += message.text
            if message.server_content and message.server_content.turn_complete:
                break
    assert text == echo_text(Conversation(messages=(Message("user", "hello genai"),)))
    assert tls_loopback.connections[0].setup["model"] == "models/echo"

"""The official openai and anthropic SDKs read the loopback's streams and get what scripts.py says."""

from __future__ import annotations

import pytest

from rtchat.loopback.anthropic_messages import sign_thinking
from rtchat.loopback.scripts import Conversation, Message, count_tokens, lorem_text, write_script
from tests.support import lazy_sdks as sdk
from tests.support.sdk import PROMPT, read_with_anthropic_sdk, read_with_openai_responses_sdk, read_with_openai_sdk


def script_for(model: str, prompt: str, *, thinking: bool = True):
    return write_script(model, Conversation(messages=(Message("user", prompt),)), thinking=thinking)


async def test_openai_sdk_reads_chat_stream(loopback):
    text, thinking = await read_with_openai_sdk(loopback.url, "echo@0", PROMPT)
    script = script_for("echo", PROMPT)
    assert (text, thinking) == (script.text, script.thinking)
    assert PROMPT in text


async def test_openai_sdk_reads_usage_with_extra_fields(loopback):
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="echo@0",
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
        )
        usages = [chunk.usage async for chunk in stream if chunk.usage]
    (usage,) = usages
    script = script_for("echo", PROMPT)
    assert usage.prompt_tokens == count_tokens(PROMPT)
    assert usage.completion_tokens == len(script.parts)
    assert usage.completion_tokens_details.reasoning_tokens == count_tokens(script.thinking)
    assert usage.model_extra["prompt_cache_miss_tokens"] == usage.prompt_tokens


async def test_openai_sdk_reads_responses_stream(loopback):
    text, thinking = await read_with_openai_responses_sdk(loopback.url, "echo@0", PROMPT)
    script = script_for("echo", PROMPT)
    assert (text, thinking) == (script.text, script.thinking)


async def test_openai_sdk_responses_helper_assembles_final_response(loopback):
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=0) as client:
        async with client.responses.stream(model="echo@0", input=PROMPT) as stream:
            final = await stream.get_final_response()
    assert final.output_text == script_for("echo", PROMPT).text
    assert final.usage.output_tokens == count_tokens(final.output_text)


async def test_anthropic_sdk_reads_signed_thinking(loopback):
    text, thinking, signature = await read_with_anthropic_sdk(loopback.url, "echo@0", PROMPT)
    script = script_for("echo", PROMPT)
    assert (text, thinking) == (script.text, script.thinking)
    assert signature == sign_thinking(thinking)


async def test_anthropic_sdk_sends_thinking_back_and_forgeries_are_refused(loopback):
    async with sdk.anthropic.AsyncAnthropic(base_url=loopback.url, api_key="test", max_retries=0) as client:
        options = {"model": "echo@0", "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}}
        first = await client.messages.create(messages=[{"role": "user", "content": "one"}], **options)
        history = [{"role": "user", "content": "one"}, {"role": "assistant", "content": first.content}]
        second = await client.messages.create(messages=history + [{"role": "user", "content": "two"}], **options)
        assert second.content[-1].text == script_for("echo", "two").text.replace("(turn 1)", "(turn 2)")
        assert second.usage.cache_read_input_tokens == count_tokens("one")
        forged = [{"type": "thinking", "thinking": "not what I thought", "signature": first.content[0].signature}]
        with pytest.raises(sdk.anthropic.BadRequestError, match="signature"):
            await client.messages.create(
                messages=[history[0], {"role": "assistant", "content": forged}, {"role": "user", "content": "two"}],
                **options,
            )


async def test_sdks_read_redacted_and_refusal(loopback):
    async with sdk.anthropic.AsyncAnthropic(base_url=loopback.url, api_key="test", max_retries=0) as client:
        async with client.messages.stream(
            model="redacted@0", max_tokens=1024, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            message = await stream.get_final_message()
        assert [block.type for block in message.content] == ["redacted_thinking", "text"]
        async with client.messages.stream(
            model="refusal@0", max_tokens=1024, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            refused = await stream.get_final_message()
        assert refused.stop_reason == "refusal"
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="refusal@0", messages=[{"role": "user", "content": PROMPT}], stream=True
        )
        refusal = "".join([chunk.choices[0].delta.refusal or "" async for chunk in stream if chunk.choices])
    assert refusal == script_for("refusal", PROMPT).text


async def test_openai_sdk_reads_lorem_whole(loopback):
    text, _ = await read_with_openai_sdk(loopback.url, "lorem@0", "write a lot")
    assert text == lorem_text()


async def test_sdks_raise_their_own_errors(loopback):
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=0) as client:
        with pytest.raises(sdk.openai.NotFoundError):
            await client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(sdk.openai.RateLimitError):
            await client.chat.completions.create(model="fault-429", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(sdk.openai.AuthenticationError):
            await client.chat.completions.create(model="fault-401", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(sdk.openai.APIError, match="middle of the stream"):
            await read_with_openai_sdk(loopback.url, "fault-error-midstream@0", "x")
    async with sdk.anthropic.AsyncAnthropic(base_url=loopback.url, api_key="test", max_retries=0) as client:
        with pytest.raises(sdk.anthropic.InternalServerError) as overloaded:
            await client.messages.create(
                model="fault-529", max_tokens=10, messages=[{"role": "user", "content": "x"}]
            )
        assert overloaded.value.status_code == 529
        with pytest.raises(sdk.anthropic.APIStatusError, match="overloaded_error"):
            await read_with_anthropic_sdk(loopback.url, "fault-error-midstream@0", "x")


async def test_openai_sdk_retries_429_once_after_retry_after(loopback):
    async with sdk.openai.AsyncOpenAI(base_url=loopback.url + "/v1", api_key="test", max_retries=2) as client:
        reply = await client.chat.completions.create(
            model="fault-429-once@0", messages=[{"role": "user", "content": PROMPT}]
        )
    assert reply.choices[0].message.content == script_for("echo", PROMPT).text
    assert [record.status for record in loopback.records] == [429, 200]

"""The SDK side of a cross-check: the official openai and anthropic SDKs read a loopback
stream, so another reader (rtchat's own client) can be compared against them on the same server."""

from __future__ import annotations

from tests.support.lazy_sdks import anthropic, openai

PROMPT = "Cross-check me:\n\n- *markdown* stays\n- `code` stays\n\tünïcödé — and  double  spaces."


async def read_with_openai_sdk(url: str, model: str, prompt: str) -> tuple[str, str]:
    """(text, thinking) of a Chat Completions stream, as the openai SDK delivers it."""
    text = thinking = ""
    async with openai.AsyncOpenAI(base_url=url + "/v1", api_key="test", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            for choice in chunk.choices:
                text += choice.delta.content or ""
                thinking += getattr(choice.delta, "reasoning_content", None) or ""
    return text, thinking


async def read_with_openai_responses_sdk(url: str, model: str, prompt: str) -> tuple[str, str]:
    """(text, reasoning summary) of a Responses stream, as the openai SDK delivers it."""
    text = thinking = ""
    async with openai.AsyncOpenAI(base_url=url + "/v1", api_key="test", max_retries=0) as client:
        stream = await client.responses.create(
            model=model, input=prompt, stream=True, reasoning={"effort": "low", "summary": "auto"}
        )
        async for event in stream:
            if event.type == "response.output_text.delta":
                text += event.delta
            elif event.type == "response.reasoning_summary_text.delta":
                thinking += event.delta
    return text, thinking


async def read_with_anthropic_sdk(url: str, model: str, prompt: str) -> tuple[str, str, str]:
    """(text, thinking, signature) of the final message the anthropic SDK assembles."""
    async with anthropic.AsyncAnthropic(base_url=url, api_key="test", max_retries=0) as client:
        async with client.messages.stream(
            model=model,
            max_tokens=2048,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": prompt}],
        ) as stream:
            message = await stream.get_final_message()
    text = "".join(block.text for block in message.content if block.type == "text")
    thinking = "".join(block.thinking for block in message.content if block.type == "thinking")
    signature = "".join(block.signature for block in message.content if block.type == "thinking")
    return text, thinking, signature

"""Decoder behaviour on the quirks each provider has (synthetic streams; real ones are in test_wire_fixtures)."""

from rtchat.conversation import ChatMessage, Conversation, ThinkingBlock
from rtchat.events import Done, Error, Notice, RedactedThinking, ThinkingSignature, ToolCallDelta
from rtchat.wire import anthropic, gemini, openai_chat, openai_responses
from rtchat.wire.base import RequestOptions
from tests.support.streams import decode_chunks, summary


def chat(*frames: str) -> bytes:
    return "".join(f"data: {f}\n\n" for f in frames).encode()


def test_openai_reasoning_both_field_names_and_usage_after_finish():
    stream = chat(
        '{"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"think "}}]}',
        '{"choices":[{"index":0,"delta":{"reasoning":"more"}}]}',
        '{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}',
        '{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}',
        '{"choices":[],"moderation":{"flagged":false}}',
        "[DONE]",
    )
    got = summary(decode_chunks("openai_chat", [stream]))
    assert got == {
        "text": "Hi",
        "thinking": "think more",
        "usage": {"input_tokens": 9, "output_tokens": 3, "cached_tokens": 4, "reasoning_tokens": 2},
        "done": "length",
        "error": False,
    }


def test_openai_malformed_frame_is_skipped_with_a_warning():
    stream = chat('{"choices":[{"delta":{"content":"a"}}]}', '{"choices": [', '{"choices":[{"delta":{"content":"b"},"finish_reason":"stop"}]}', "[DONE]")
    events = decode_chunks("openai_chat", [stream])
    assert summary(events)["text"] == "ab"
    assert any(isinstance(e, Notice) and e.level == "warning" for e in events)
    assert events[-1] == Done("complete")


def test_openai_event_error_line_and_eof_without_done():
    stream = b'data: {"choices":[{"delta":{"content":"part"}}]}\n\nevent: error\ndata: {"message":"boom"}\n\n'
    events = decode_chunks("openai_chat", [stream])
    assert summary(events)["text"] == "part"
    assert isinstance(events[-2], Error) and "boom" in events[-2].message
    assert events[-1] == Done("error")
    truncated = decode_chunks("openai_chat", [b'data: {"choices":[{"delta":{"content":"cut"}}]}\n\n'])
    assert truncated[-1] == Done("error") and isinstance(truncated[-2], Error)


def test_openai_tool_calls_and_refusal():
    stream = chat(
        '{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{\\"a\\""}}]}}]}',
        '{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}',
        "[DONE]",
    )
    events = decode_chunks("openai_chat", [stream])
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls[0].name == "f" and "".join(c.arguments for c in calls) == '{"a":1}'
    assert events[-1] == Done("tool_use")
    refusal = decode_chunks("openai_chat", [chat('{"choices":[{"delta":{"refusal":"I can"}}]}', '{"choices":[{"delta":{"refusal":"not."},"finish_reason":"stop"}]}', "[DONE]")])
    assert summary(refusal)["text"] == "I cannot." and refusal[-1] == Done("refusal")


def test_anthropic_thinking_signature_redacted_and_ping():
    def ev(name, data):
        return f"event: {name}\ndata: {data}\n\n"

    stream = (
        ev("message_start", '{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}}')
        + ev("ping", '{"type":"ping"}')
        + ev("content_block_start", '{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"ENC"}}')
        + ev("content_block_start", '{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":""}}')
        + ev("content_block_delta", '{"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"hmm"}}')
        + ev("content_block_delta", '{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"SIG"}}')
        + ev("content_block_start", '{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}')
        + ev("content_block_delta", '{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Hello"}}')
        + ev("some_future_event", '{"type":"some_future_event"}')
        + ev("message_delta", '{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":7}}')
        + ev("message_stop", '{"type":"message_stop"}')
    ).encode()
    events = decode_chunks("anthropic", [stream])
    assert RedactedThinking("ENC") in events and ThinkingSignature("SIG") in events
    got = summary(events)
    assert got["text"] == "Hello" and got["thinking"] == "hmm" and got["done"] == "length"
    assert got["usage"] == {"input_tokens": 15, "output_tokens": 7, "cached_tokens": 5, "reasoning_tokens": None}


def test_gemini_thoughts_crlf_and_no_end_marker():
    stream = (
        'data: {"candidates":[{"content":{"parts":[{"text":"plan","thought":true}],"role":"model"}}]}\r\n\r\n'
        'data: {"candidates":[{"content":{"parts":[{"text":"Answer"}],"role":"model"},"finishReason":"STOP"}],'
        '"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"thoughtsTokenCount":3,"totalTokenCount":9}}\r\n\r\n'
    ).encode()
    got = summary(decode_chunks("gemini", [stream]))
    assert got["text"] == "Answer" and got["thinking"] == "plan" and got["done"] == "complete"
    assert got["usage"] == {"input_tokens": 4, "output_tokens": 5, "cached_tokens": None, "reasoning_tokens": 3}


def test_responses_summary_text_and_completed_usage():
    def ev(data):
        import json

        return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n"

    stream = (
        ev({"type": "response.created", "response": {}})
        + ev({"type": "response.reasoning_summary_text.delta", "delta": "why"})
        + ev({"type": "response.output_text.delta", "delta": "Yes"})
        + ev({"type": "response.completed", "response": {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 2, "input_tokens_details": {"cached_tokens": 1}, "output_tokens_details": {"reasoning_tokens": 1}}}})
    ).encode()
    got = summary(decode_chunks("openai_responses", [stream]))
    assert got == {"text": "Yes", "thinking": "why", "usage": {"input_tokens": 3, "output_tokens": 2, "cached_tokens": 1, "reasoning_tokens": 1}, "done": "complete", "error": False}


def conversation_with_thinking(provider: str) -> Conversation:
    return Conversation(
        [
            ChatMessage("user", "one"),
            ChatMessage("assistant", "reply", [ThinkingBlock("t", "sig", provider=provider)]),
            ChatMessage("user", "two"),
        ],
        system="be brief",
    )


def test_anthropic_request_keeps_own_signed_thinking_only():
    own = anthropic.build_request("https://api.anthropic.com", "k", "m", conversation_with_thinking("anthropic"), RequestOptions(effort="low", provider_id="anthropic"))
    assert own.url == "https://api.anthropic.com/v1/messages"
    assert own.headers["x-api-key"] == "k" and own.body["system"] == "be brief"
    assert own.body["messages"][1]["content"][0] == {"type": "thinking", "thinking": "t", "signature": "sig"}
    assert own.body["thinking"] == {"type": "enabled", "budget_tokens": 2048} and own.body["max_tokens"] > 2048
    other = anthropic.build_request("https://x", "k", "m", conversation_with_thinking("loopback"), RequestOptions(effort="low", provider_id="anthropic"))
    assert [b["type"] for b in other.body["messages"][1]["content"]] == ["text"]


def test_effort_maps_to_each_providers_knob():
    conv = Conversation([ChatMessage("user", "hi")])
    def body(style, effort):
        return openai_chat.build_request("https://h/v1", "k", "m", conv, RequestOptions(effort=effort, effort_style=style)).body
    assert body("openai", "high")["reasoning_effort"] == "high"
    assert body("deepseek", "off")["thinking"] == {"type": "disabled"}
    assert body("openrouter", "low")["reasoning"] == {"effort": "low"}
    assert "reasoning_effort" not in body("openai", None)
    g = gemini.build_request("https://g", "k", "gemini-2.5-flash", conv, RequestOptions(effort="off", effort_style="budget"))
    assert g.body["generationConfig"]["thinkingConfig"] == {"includeThoughts": False, "thinkingBudget": 0}
    assert g.url == "https://g/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" and g.headers["x-goog-api-key"] == "k"
    r = openai_responses.build_request("https://h/v1", "k", "m", conv, RequestOptions(effort="medium"))
    assert r.url == "https://h/v1/responses" and r.body["reasoning"] == {"effort": "medium", "summary": "auto"}

"""The loopback server over real sockets, read with plain httpx: every wire, model and fault."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest

from rtchat.loopback import MODELS, start_loopback
from rtchat.loopback.anthropic_messages import sign_thinking
from rtchat.loopback.pacing import MIDSTREAM_ERROR, End, Schedule, Send, play
from rtchat.loopback.scripts import (
    Conversation,
    Message,
    count_tokens,
    lorem_text,
    parse_model,
    tokenize,
    write_script,
)
from tests.support.sse_frames import parse_sse
from tests.support.wait import until

WIRES = ["openai_chat", "anthropic", "gemini", "openai_responses"]
PROMPT = "Hello, loopback! Keep *this* `exactly`:\n\tünïcödé — 42 spaces  here."


# ---------------------------------------------------------------- helpers


def request_for(wire: str, model: str, prompt: str = PROMPT, *, thinking: bool = True) -> tuple[str, dict]:
    """Path and JSON body of a streaming request in `wire`'s own format."""
    if wire == "openai_chat":
        body = {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if not thinking:
            body["reasoning_effort"] = "none"
        return "/v1/chat/completions", body
    if wire == "anthropic":
        body = {"model": model, "max_tokens": 4096, "messages": [{"role": "user", "content": prompt}], "stream": True}
        if thinking:
            body["thinking"] = {"type": "enabled", "budget_tokens": 1024}
        return "/v1/messages", body
    if wire == "gemini":
        body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
        budget = -1 if thinking else 0
        body["generationConfig"] = {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": budget}}
        return f"/v1beta/models/{model}:streamGenerateContent?alt=sse", body
    body = {"model": model, "input": prompt, "stream": True}
    body["reasoning"] = {"effort": "low", "summary": "auto"} if thinking else {"effort": "none"}
    return "/v1/responses", body


def decoded(raw: str) -> list[tuple[str | None, dict]]:
    """Frames whose data is a JSON object (so [DONE] and broken frames drop out)."""
    out = []
    for event, data in parse_sse(raw):
        try:
            value = json.loads(data)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append((event, value))
    return out


def pieces(wire: str, raw: str) -> list[tuple[str, str]]:
    """(kind, text) of every streamed token, kind "thinking" | "text" | "refusal"."""
    out = []
    for event, data in decoded(raw):
        if wire == "openai_chat":
            for choice in data.get("choices", []):
                delta = choice["delta"]
                for field, kind in (("reasoning_content", "thinking"), ("content", "text"), ("refusal", "refusal")):
                    if delta.get(field):
                        out.append((kind, delta[field]))
        elif wire == "anthropic" and event == "content_block_delta":
            delta = data["delta"]
            if delta["type"] == "thinking_delta":
                out.append(("thinking", delta["thinking"]))
            elif delta["type"] == "text_delta":
                out.append(("text", delta["text"]))
        elif wire == "gemini" and "candidates" in data:
            for part in data["candidates"][0]["content"]["parts"]:
                if part.get("text"):
                    out.append(("thinking" if part.get("thought") else "text", part["text"]))
        elif wire == "openai_responses":
            kind = {
                "response.output_text.delta": "text",
                "response.reasoning_summary_text.delta": "thinking",
                "response.refusal.delta": "refusal",
            }.get(data.get("type"))
            if kind:
                out.append((kind, data["delta"]))
    return out


def joined(parts: list[tuple[str, str]], kind: str) -> str:
    return "".join(text for k, text in parts if k == kind)


def expected(model: str = "echo", prompt: str = PROMPT, *, thinking: bool = True):
    return write_script(model, Conversation(messages=(Message("user", prompt),)), thinking=thinking)


def error_kind(wire: str, body: dict) -> str:
    """The native error type (OpenAI/Anthropic) or status (Gemini) of an error body."""
    if wire == "anthropic":
        assert body["type"] == "error"
        return body["error"]["type"]
    if wire == "gemini":
        return body["error"]["status"]
    return body["error"]["type"]


async def post(server, wire: str, model: str, **options) -> httpx.Response:
    path, body = request_for(wire, model, **options)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        return await client.post(path, json=body)


async def wait_for_outcome(server, index: int, outcome: str, timeout: float = 3.0) -> None:
    """The server may notice a departed client a moment after we leave."""
    await until(lambda: server.records[index].outcome == outcome, timeout, f"record {index} {outcome}")


# ---------------------------------------------------------------- echo on every wire


@pytest.mark.parametrize("wire", WIRES)
async def test_echo_stream_carries_prompt_verbatim_and_script(loopback, wire):
    response = await post(loopback, wire, "echo@0")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    parts = pieces(wire, response.text)
    script = expected()
    assert PROMPT in joined(parts, "text")
    assert joined(parts, "text") == script.text
    assert joined(parts, "thinking") == script.thinking
    assert len(parts) == len(script.parts)  # one token per frame


async def test_openai_chat_frames_and_usage(loopback):
    raw = (await post(loopback, "openai_chat", "echo@0")).text
    frames = parse_sse(raw)
    assert frames[-1] == (None, "[DONE]")
    chunks = [json.loads(data) for _, data in frames[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    final = chunks[-1]
    assert final["choices"] == []
    script = expected()
    usage = final["usage"]
    assert usage["prompt_tokens"] == count_tokens(PROMPT)
    assert usage["completion_tokens"] == len(script.parts)
    assert usage["completion_tokens_details"]["reasoning_tokens"] == count_tokens(script.thinking)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_cache_hit_tokens"] + usage["prompt_cache_miss_tokens"] == usage["prompt_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0


async def test_anthropic_events_and_signature(loopback):
    raw = (await post(loopback, "anthropic", "echo@0")).text
    events = decoded(raw)
    names = [event for event, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(event == data["type"] for event, data in events)
    assert "cache_read_input_tokens" in events[0][1]["message"]["usage"]
    starts = [data["content_block"]["type"] for event, data in events if event == "content_block_start"]
    assert starts == ["thinking", "text"]
    deltas = [data["delta"] for event, data in events if event == "content_block_delta"]
    signatures = [delta["signature"] for delta in deltas if delta["type"] == "signature_delta"]
    script = expected()
    assert signatures == [sign_thinking(script.thinking)]
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] == len(script.parts)


async def test_gemini_crlf_frames_model_in_url_and_usage(loopback):
    model = "echo@rate=0,ttft=0.0"
    response = await post(loopback, "gemini", model)
    raw = response.text
    assert "\r\n\r\n" in raw and "[DONE]" not in raw
    assert re.sub(r"data: [^\r\n]*\r\n\r\n", "", raw) == ""  # every frame CRLF-separated
    assert loopback.records[-1].model == model
    last = decoded(raw)[-1][1]
    assert last["candidates"][0]["finishReason"] == "STOP"
    usage = last["usageMetadata"]
    script = expected()
    assert usage["thoughtsTokenCount"] == count_tokens(script.thinking)
    assert usage["candidatesTokenCount"] == count_tokens(script.text)
    assert usage["promptTokenCount"] == count_tokens(PROMPT)
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + len(script.parts)
    assert usage["cachedContentTokenCount"] == 0


async def test_responses_events_are_numbered_and_complete(loopback):
    raw = (await post(loopback, "openai_responses", "echo@0")).text
    events = decoded(raw)
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert all(event == data["type"] for event, data in events)
    names = [event for event, _ in events]
    assert names[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert events[2][1]["item"]["type"] == "reasoning"
    assert names.index("response.reasoning_summary_text.delta") < names.index("response.output_text.delta")
    assert "response.output_text.done" in names
    final = events[-1][1]
    assert final["type"] == "response.completed"
    usage = final["response"]["usage"]
    script = expected()
    assert usage["output_tokens"] == len(script.parts)
    assert usage["output_tokens_details"]["reasoning_tokens"] == count_tokens(script.thinking)
    assert usage["input_tokens_details"]["cached_tokens"] == 0
    assert final["response"]["output"][-1]["content"][0]["text"] == script.text


async def test_responses_accepts_message_list_input(loopback):
    body = {
        "model": "echo@0",
        "stream": True,
        "instructions": "be brief",
        "input": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
            {"role": "user", "content": [{"type": "input_text", "text": PROMPT}]},
        ],
    }
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        raw = (await client.post("/v1/responses", json=body)).text
    text = joined(pieces("openai_responses", raw), "text")
    assert text.startswith("**Echo** (turn 2)") and PROMPT in text


@pytest.mark.parametrize("wire", WIRES)
async def test_thinking_can_be_switched_off(loopback, wire):
    parts = pieces(wire, (await post(loopback, wire, "echo@0", thinking=False)).text)
    assert joined(parts, "thinking") == ""
    assert joined(parts, "text") == expected(thinking=False).text


async def test_deepseek_thinking_disabled(loopback):
    path, body = request_for("openai_chat", "echo@0")
    body["thinking"] = {"type": "disabled"}
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        raw = (await client.post(path, json=body)).text
    assert joined(pieces("openai_chat", raw), "thinking") == ""


async def test_lorem_is_long_structured_markdown(loopback):
    parts = pieces("openai_chat", (await post(loopback, "openai_chat", "lorem@0")).text)
    text = joined(parts, "text")
    assert text == lorem_text()
    assert sum(1 for kind, _ in parts if kind == "text") >= 5000
    for marker in ("\n## ", "\n- ", "\n1. ", "```python\n", "```json\n", "\n|------|", "\n### "):
        assert marker in text


async def test_second_turn_reports_cached_prefix(loopback):
    first = [{"role": "system", "content": "sys prompt"}, {"role": "user", "content": "one two three"}]
    second = first + [{"role": "assistant", "content": "reply"}, {"role": "user", "content": "four"}]
    usages = []
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        for messages in (first, second):
            body = {"model": "echo@0", "messages": messages, "stream": True, "stream_options": {"include_usage": True}}
            raw = (await client.post("/v1/chat/completions", json=body)).text
            usages.append(decoded(raw)[-1][1]["usage"])
    assert usages[0]["prompt_tokens_details"]["cached_tokens"] == 0
    assert usages[1]["prompt_tokens"] == 2 + 3 + 1 + 1
    assert usages[1]["prompt_tokens_details"]["cached_tokens"] == 2 + 3
    assert usages[1]["prompt_cache_hit_tokens"] == 5 and usages[1]["prompt_cache_miss_tokens"] == 2


async def test_non_streaming_chat_completion(loopback):
    _, body = request_for("openai_chat", "echo@0")
    body["stream"] = False
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        reply = (await client.post("/v1/chat/completions", json=body)).json()
    assert reply["object"] == "chat.completion"
    message = reply["choices"][0]["message"]
    assert message["content"] == expected().text
    assert message["reasoning_content"] == expected().thinking
    assert reply["usage"]["completion_tokens"] == len(expected().parts)


# ---------------------------------------------------------------- special models


async def test_redacted_thinking_block_has_data_and_no_deltas(loopback):
    events = decoded((await post(loopback, "anthropic", "redacted@0")).text)
    starts = [data for event, data in events if event == "content_block_start"]
    assert starts[0]["content_block"]["type"] == "redacted_thinking"
    assert starts[0]["content_block"]["data"]
    assert not [d for e, d in events if e == "content_block_delta" and d["index"] == starts[0]["index"]]
    text = "".join(d["delta"].get("text", "") for e, d in events if e == "content_block_delta")
    assert text == expected().text


REFUSAL = {
    "openai_chat": ("refusal", lambda events: events[-2][1]["choices"][0]["finish_reason"] == "stop"),
    "anthropic": ("text", lambda events: events[-2][1]["delta"]["stop_reason"] == "refusal"),
    "gemini": ("text", lambda events: events[-1][1]["candidates"][0]["finishReason"] == "SAFETY"),
    "openai_responses": ("refusal", lambda events: events[-1][0] == "response.completed"),
}


@pytest.mark.parametrize("wire", WIRES)
async def test_refusal(loopback, wire):
    raw = (await post(loopback, wire, "refusal@0")).text
    kind, finished = REFUSAL[wire]
    assert joined(pieces(wire, raw), kind) == expected("refusal").text
    assert finished(decoded(raw))


LENGTH = {
    "openai_chat": lambda events: events[-2][1]["choices"][0]["finish_reason"] == "length",
    "anthropic": lambda events: events[-2][1]["delta"]["stop_reason"] == "max_tokens",
    "gemini": lambda events: events[-1][1]["candidates"][0]["finishReason"] == "MAX_TOKENS",
    "openai_responses": lambda events: events[-1][1]["response"]["incomplete_details"]["reason"] == "max_output_tokens",
}


@pytest.mark.parametrize("wire", WIRES)
async def test_fault_length_stops_early(loopback, wire):
    raw = (await post(loopback, wire, "fault-length@0")).text
    text = joined(pieces(wire, raw), "text")
    assert text == expected("fault-length").text
    assert len(text) < len(expected().text)
    assert LENGTH[wire](decoded(raw))


# ---------------------------------------------------------------- HTTP status faults

STATUS_ERRORS = {  # kind -> native error type per wire
    "not_found": {"openai_chat": "invalid_request_error", "anthropic": "not_found_error", "gemini": "NOT_FOUND"},
    "rate_limit": {"openai_chat": "requests", "anthropic": "rate_limit_error", "gemini": "RESOURCE_EXHAUSTED"},
    "server": {"openai_chat": "server_error", "anthropic": "api_error", "gemini": "INTERNAL"},
    "overloaded": {"openai_chat": "server_error", "anthropic": "overloaded_error", "gemini": "UNAVAILABLE"},
    "auth": {"openai_chat": "invalid_request_error", "anthropic": "authentication_error", "gemini": "UNAUTHENTICATED"},
    "permission": {"openai_chat": "permission_error", "anthropic": "permission_error", "gemini": "PERMISSION_DENIED"},
}
STATUS_FAULTS = [
    ("fault-429", 429, "rate_limit"),
    ("fault-500", 500, "server"),
    ("fault-529", 529, "overloaded"),
    ("fault-401", 401, "auth"),
    ("fault-403", 403, "permission"),
]


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize(("model", "status", "kind"), STATUS_FAULTS)
async def test_status_faults_answer_in_native_shape_every_time(loopback, wire, model, status, kind):
    for _ in range(2):
        response = await post(loopback, wire, model)
        assert response.status_code == status
        native = STATUS_ERRORS[kind]["openai_chat" if wire == "openai_responses" else wire]
        assert error_kind(wire, response.json()) == native
        assert response.headers.get("retry-after") == ("1" if status == 429 else None)
    assert [record.outcome for record in loopback.records] == ["error", "error"]
    assert loopback.records[0].status == status


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize(("model", "status"), [("fault-429-once", 429), ("fault-500-once", 500)])
async def test_once_faults_fail_first_then_echo(loopback, wire, model, status):
    first = await post(loopback, wire, model + "@0")
    assert first.status_code == status
    assert first.headers.get("retry-after") == ("1" if status == 429 else None)
    second = await post(loopback, wire, model + "@0")
    assert second.status_code == 200
    assert joined(pieces(wire, second.text), "text") == expected().text
    other_prompt = await post(loopback, wire, model + "@0", prompt="a different body")
    assert other_prompt.status_code == status


@pytest.mark.parametrize("wire", WIRES)
async def test_unknown_model_is_404_in_native_shape(loopback, wire):
    response = await post(loopback, wire, "no-such-model")
    assert response.status_code == 404
    body = response.json()
    assert error_kind(wire, body) == STATUS_ERRORS["not_found"]["openai_chat" if wire == "openai_responses" else wire]
    if wire in ("openai_chat", "openai_responses"):
        assert body["error"]["message"] == "The model `no-such-model` does not exist"
        assert body["error"]["code"] == "model_not_found"
    assert loopback.records[-1].outcome == "error" and loopback.records[-1].status == 404


async def test_bad_pacing_options_are_400(loopback):
    response = await post(loopback, "openai_chat", "echo@rate=fast")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


# ---------------------------------------------------------------- Anthropic validation


def anthropic_turns(thinking: str, signature: str) -> dict:
    return {
        "model": "echo@0",
        "max_tokens": 2048,
        "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [
            {"role": "user", "content": "first"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": thinking, "signature": signature},
                    {"type": "text", "text": "reply"},
                ],
            },
            {"role": "user", "content": "second"},
        ],
    }


async def test_anthropic_signature_round_trip_and_tampering(loopback):
    thought = "I considered the question carefully."
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        good = await client.post("/v1/messages", json=anthropic_turns(thought, sign_thinking(thought)))
        forged = await client.post("/v1/messages", json=anthropic_turns(thought + " (edited)", sign_thinking(thought)))
        missing = await client.post("/v1/messages", json=anthropic_turns(thought, ""))
    assert good.status_code == 200
    assert "**Echo** (turn 2)" in joined(pieces("anthropic", good.text), "text")
    for bad in (forged, missing):
        assert bad.status_code == 400
        body = bad.json()
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
        assert "signature" in body["error"]["message"]


@pytest.mark.parametrize(("budget", "max_tokens"), [(1023, 4096), (2048, 2048), (4096, 2048), ("lots", 4096)])
async def test_anthropic_thinking_budget_validated(loopback, budget, max_tokens):
    body = {
        "model": "echo@0",
        "max_tokens": max_tokens,
        "thinking": {"type": "enabled", "budget_tokens": budget},
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        response = await client.post("/v1/messages", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_anthropic_adaptive_thinking_needs_no_budget(loopback):
    body = {"model": "echo@0", "max_tokens": 64, "thinking": {"type": "adaptive"}, "stream": True,
            "messages": [{"role": "user", "content": PROMPT}]}
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        response = await client.post("/v1/messages", json=body)
    assert response.status_code == 200
    assert joined(pieces("anthropic", response.text), "thinking") == expected().thinking


# ---------------------------------------------------------------- in-stream faults


def assert_midstream_error(wire: str, raw: str) -> None:
    events = decoded(raw)
    if wire == "openai_chat":
        assert events[-1][1]["error"] == {"message": MIDSTREAM_ERROR, "type": "server_error", "code": 500}
        assert "[DONE]" not in raw
    elif wire == "anthropic":
        assert events[-1][0] == "error" and events[-1][1]["error"]["type"] == "overloaded_error"
    elif wire == "gemini":
        error = events[-1][1]["error"]
        assert error["code"] == 500 and error["status"] == "INTERNAL"
    else:
        assert [event for event, _ in events[-2:]] == ["error", "response.failed"]


@pytest.mark.parametrize("wire", WIRES)
async def test_error_midstream_after_ten_answer_tokens(loopback, wire):
    response = await post(loopback, wire, "fault-error-midstream@0")
    assert response.status_code == 200
    parts = pieces(wire, response.text)
    assert [text for kind, text in parts if kind == "text"] == tokenize(expected().text)[:10]
    assert joined(parts, "thinking") == expected().thinking
    assert_midstream_error(wire, response.text)
    assert loopback.records[-1].outcome == "fault"


@pytest.mark.parametrize("wire", WIRES)
async def test_malformed_frame_then_the_rest(loopback, wire):
    raw = (await post(loopback, wire, "fault-malformed@0")).text
    datas = [data for _, data in parse_sse(raw)]
    assert datas.count('{"choices": [') == 1
    parts = pieces(wire, raw)
    assert joined(parts, "text") == expected().text
    broken_at = raw.index('{"choices": [')
    assert joined(pieces(wire, raw[:broken_at]), "text") == "".join(tokenize(expected().text)[:5])


@pytest.mark.parametrize("wire", WIRES)
async def test_drop_aborts_mid_body(loopback, wire):
    path, body = request_for(wire, "fault-drop@0")
    received = ""
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("POST", path, json=body) as response:
                assert response.status_code == 200
                async for text in response.aiter_text():
                    received += text
    assert joined(pieces(wire, received), "text") == "".join(tokenize(expected().text)[:5])
    assert loopback.records[-1].outcome == "fault"


async def read_until(chunks, done, timeout: float = 5.0) -> str:
    text = ""
    while not done(text):
        text += await asyncio.wait_for(chunks.__anext__(), timeout)
    return text


async def stall_check(server, wire: str, model: str, answer_tokens: int) -> None:
    path, body = request_for(wire, model)
    async with httpx.AsyncClient(base_url=server.url) as client:
        async with client.stream("POST", path, json=body) as response:
            assert response.status_code == 200
            chunks = response.aiter_text()

            def enough(text: str) -> bool:
                return sum(1 for kind, _ in pieces(wire, text) if kind != "thinking") >= answer_tokens

            received = await read_until(chunks, enough) if answer_tokens else ""
            with pytest.raises(asyncio.TimeoutError):  # silence: no keep-alives, no more tokens
                received += await asyncio.wait_for(chunks.__anext__(), 0.3)
    assert joined(pieces(wire, received), "text") == "".join(tokenize(expected().text)[:answer_tokens])
    index = next(i for i, record in enumerate(server.records) if record.wire == wire)
    await wait_for_outcome(server, index, "disconnected")
    assert server.records[index].ended is not None


async def test_stalls_go_silent_until_the_client_leaves(loopback):
    second = await start_loopback()  # stall-first on its own server: one record per wire on each
    try:
        await asyncio.gather(
            *(stall_check(loopback, wire, "fault-stall@0", 5) for wire in WIRES),
            *(stall_check(second, wire, "fault-stall-first@0", 0) for wire in WIRES),
        )
    finally:
        await second.close()


async def keepalive_check(server, wire: str) -> None:
    path, body = request_for(wire, "fault-keepalive@0")
    async with httpx.AsyncClient(base_url=server.url) as client:
        raw = (await client.post(path, json=body)).text
    first_data = raw.index("data:")
    assert len(re.findall(r"^: keep-alive\r?\n", raw[:first_data], flags=re.M)) == 10
    assert joined(pieces(wire, raw), "text") == expected().text


async def test_keepalive_comments_then_normal_answer(loopback):
    await asyncio.gather(*(keepalive_check(loopback, wire) for wire in WIRES))
    assert {record.outcome for record in loopback.records} == {"complete"}


# ---------------------------------------------------------------- records, stats, binding


async def test_records_are_filled_and_secrets_never_kept(loopback):
    secret = "sk-very-secret-value-123"
    headers = {"Authorization": f"Bearer {secret}", "x-api-key": secret, "x-goog-api-key": secret}
    path, body = request_for("gemini", "echo@0")
    async with httpx.AsyncClient(base_url=loopback.url, headers=headers) as client:
        await client.post(path + f"&key={secret}", json=body)
        stats = await client.get("/loopback/stats")
    (record,) = loopback.records
    assert record.path == "/v1beta/models/echo@0:streamGenerateContent"
    assert (record.wire, record.model, record.status, record.outcome) == ("gemini", "echo@0", 200, "complete")
    assert record.tokens_sent == len(expected().parts)
    assert record.started <= record.first_byte <= record.ended
    assert record.request_json == body
    assert stats.json()["records"] == [record.to_json()]
    assert secret not in json.dumps(stats.json())


async def test_disconnect_is_detected_and_recorded(loopback):
    path, body = request_for("openai_chat", "lorem@50")
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        async with client.stream("POST", path, json=body) as response:
            async for _ in response.aiter_bytes():
                break
    await wait_for_outcome(loopback, 0, "disconnected")
    record = loopback.records[0]
    assert record.ended is not None and record.first_byte is not None
    assert record.tokens_sent < len(expected("lorem").parts)


async def test_binds_loopback_only(loopback):
    assert loopback.url == f"http://127.0.0.1:{loopback.port}"
    with pytest.raises(ValueError):
        await start_loopback(host="0.0.0.0")
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("no /proc/net/tcp to inspect listening sockets")
    listening = []
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port = local.split(":")
        if int(port, 16) == loopback.port and state == "0A":
            listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, little-endian hex


async def test_model_lists_in_each_shape(loopback):
    async with httpx.AsyncClient(base_url=loopback.url) as client:
        openai = (await client.get("/v1/models")).json()
        anthropic = (await client.get("/v1/models", headers={"anthropic-version": "2023-06-01"})).json()
        gemini = (await client.get("/v1beta/models")).json()
    assert openai["object"] == "list"
    assert openai["data"][0] == {"id": "echo", "object": "model", "created": 0, "owned_by": "loopback"}
    assert [model["id"] for model in openai["data"]] == list(MODELS)
    assert [model["id"] for model in anthropic["data"]] == list(MODELS)
    assert {model["type"] for model in anthropic["data"]} == {"model"} and anthropic["has_more"] is False
    assert [model["name"] for model in gemini["models"]] == [f"models/{name}" for name in MODELS]


# ---------------------------------------------------------------- pure parts


def test_tokens_rejoin_exactly_and_model_options_parse():
    for text in (PROMPT, lorem_text(), "  leading", "trailing \n\n", ""):
        assert "".join(tokenize(text)) == text
    assert (parse_model("lorem").rate, parse_model("echo").rate) == (50, 100)
    spec = parse_model("lorem@rate=1000,ttft=250")
    assert (spec.base, spec.rate, spec.ttft) == ("lorem", 1000, 0.25)
    assert parse_model("lorem@1000").rate == 1000


async def test_play_catches_up_on_absolute_schedule_without_drift():
    """Every sleep oversleeps 3 ms; due tokens go out in bursts so 5,000 tokens at 5,000/s take ~1 s."""

    class FakeClock:
        now = 100.0

        def __call__(self) -> float:
            return self.now

        async def sleep(self, seconds: float) -> None:
            self.now += seconds + 0.003

    class FakeResponse:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        async def write(self, data: bytes) -> None:
            self.writes.append(data)

        async def write_eof(self) -> None:
            pass

    class FakeRecord:
        first_byte = ended = None
        tokens_sent = 0
        outcome = "streaming"

    clock, response, record = FakeClock(), FakeResponse(), FakeRecord()
    actions = [Send(f"t{i} ", token=True) for i in range(5000)] + [End("complete")]
    await play(None, response, actions, Schedule(5000, 0.0, clock.now), record, clock=clock, sleep=clock.sleep)
    assert record.tokens_sent == 5000 and record.outcome == "complete"
    assert b"".join(response.writes).decode() == "".join(f"t{i} " for i in range(5000))
    assert 0.999 <= clock.now - 100.0 <= 1.01
    assert len(response.writes) < 1000  # bursts, not one write per token

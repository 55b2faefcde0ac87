"""Numbers a server says that no bill can be (10^400 tokens, $1e308, -1 cached, "12", [1]) are
"not said" with a notice, money stays bounded, and the frame's text is always kept: at the wire
decoders, and through `rtchat ask` against a real server on 127.0.0.1 sending them."""

from __future__ import annotations

import json
import subprocess

import pytest
from rtchat.wire.sse import ServerSentEvent

from rtchat.events import MOST_TOKENS, Cost, Notice, ServerTimings, TextDelta, Usage
from rtchat.pricing import Price, format_usd, turn_cost
from rtchat.ui.widgets.status.status_facts import StatusFacts, format_status, usd
from rtchat.wire.anthropic import MessagesDecoder
from rtchat.wire.gemini import GeminiDecoder
from rtchat.wire.openai_chat import ChatCompletionsDecoder
from rtchat.wire.openai_responses import ResponsesDecoder
from tests.support.canned_sse import canned_provider_config, canned_sse, chat_frames
from tests.support.env import isolated_env, rtchat_cmd

HUGE = 10**400  # json.dumps writes it as 401 digits; json.loads reads it back as an int


def feed(decoder, payload: dict) -> list:
    return decoder.feed(ServerSentEvent(data=json.dumps(payload)))


def text_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def warnings_of(events) -> list[str]:
    return [e.text for e in events if isinstance(e, Notice) and e.level == "warning"]


@pytest.mark.parametrize(
    "usage",
    [{"prompt_tokens": "12"}, {"completion_tokens": [1]}, {"prompt_tokens_details": "x", "completion_tokens_details": [2]}, {"prompt_tokens": HUGE}, {"prompt_tokens": 10**18}],
)
def test_a_chat_chunk_with_odd_usage_keeps_its_text(usage):
    events = feed(ChatCompletionsDecoder(), {"choices": [{"index": 0, "delta": {"content": "kept"}}], "usage": usage})
    assert text_of(events) == "kept"
    [said] = [e for e in events if isinstance(e, Usage)]
    assert said.input_tokens is None and said.output_tokens is None


def test_a_count_too_long_for_int_keeps_the_frames_text():
    frame = '{"choices":[{"index":0,"delta":{"content":"kept"}}],"usage":{"prompt_tokens":' + "9" * 5000 + "}}"
    events = ChatCompletionsDecoder().feed(ServerSentEvent(data=frame))
    assert text_of(events) == "kept" and warnings_of(events)


def test_implausible_counts_are_not_said_with_a_notice():
    events = feed(ChatCompletionsDecoder(), {"choices": [], "usage": {"prompt_tokens": 10**18, "completion_tokens": 7}})
    assert Usage(None, 7) in events
    [warning] = warnings_of(events)
    assert "token counts make no sense (input_tokens=1000000000000000000)" in warning


def test_a_count_at_the_bound_is_believed_and_one_past_it_is_not():
    assert Usage(MOST_TOKENS).input_tokens == MOST_TOKENS
    assert Usage(MOST_TOKENS + 1).input_tokens is None


@pytest.mark.parametrize("cost", [1e308, "1e308", HUGE, -0.5, "NaN", 10_000.01])
def test_an_implausible_server_cost_is_left_out_with_a_notice(cost):
    events = feed(ChatCompletionsDecoder(), {"choices": [{"index": 0, "delta": {"content": "kept"}}], "usage": {"cost": cost}})
    assert text_of(events) == "kept"
    assert not [e for e in events if isinstance(e, Cost)]
    assert any("the cost is left out" in w for w in warnings_of(events))


def test_a_plausible_server_cost_and_header_are_kept():
    assert Cost(0.0123, "server") in feed(ChatCompletionsDecoder(), {"choices": [], "usage": {"cost": 0.0123}})
    assert ChatCompletionsDecoder().headers({"x-litellm-response-cost": "0.5"}) == [Cost(0.5, "server")]
    assert warnings_of(ChatCompletionsDecoder().headers({"x-litellm-response-cost": "inf"}))


def test_llama_cpp_cache_n_of_minus_one_is_not_said():
    [timings] = feed(ChatCompletionsDecoder(), {"choices": [], "timings": {"cache_n": -1, "prompt_per_second": 5.0}})
    assert timings == ServerTimings(5.0, None, None)


def test_gemini_anthropic_and_responses_keep_text_beside_odd_usage():
    gemini = feed(GeminiDecoder(), {"candidates": [{"content": {"parts": [{"text": "kept"}]}}], "usageMetadata": {"promptTokenCount": "12", "candidatesTokenCount": [1]}})
    assert text_of(gemini) == "kept" and warnings_of(gemini)
    assert text_of(feed(GeminiDecoder(), {"candidates": [{"content": {"parts": [{"text": "kept"}]}}], "usageMetadata": "odd"})) == "kept"
    anthropic = MessagesDecoder()
    started = feed(anthropic, {"type": "message_start", "message": {"usage": {"input_tokens": HUGE, "cache_read_input_tokens": 5}}})
    assert Usage(None, None, 5, None, 0) in started and warnings_of(started)
    responses = feed(ResponsesDecoder(), {"type": "response.completed", "response": {"usage": {"input_tokens": 3, "output_tokens": 10**13, "input_tokens_details": "x"}}})
    assert Usage(3, None) in responses and warnings_of(responses)


def test_the_status_line_says_cost_unknown_for_counted_but_unpriced_turns_never_0():
    assert "cost unknown" in format_status(StatusFacts(model="vllm/any", state="done", usage=Usage(12, 30)))
    free = format_status(StatusFacts(model="vllm/any", state="done", usage=Usage(12, 30), cost=Cost(0.0, "table")))
    assert "cost unknown" not in free and "$0" not in free, "a server on this machine is free: no figure"
    assert "cost unknown" not in format_status(StatusFacts(model="vllm/any", state="streaming", usage=Usage(12, 30)))
    assert usd(float("inf")) == "cost unknown"


def test_a_table_cost_past_belief_is_a_notice_and_no_counts_is_no_cost():
    dear = Price(75.0, 75.0)
    assert turn_cost(dear, Usage(1_000, 2_000)) == Cost(0.225, "table", 0.0)
    notice = turn_cost(dear, Usage(MOST_TOKENS, MOST_TOKENS))
    assert isinstance(notice, Notice) and "the cost is left out" in notice.text
    assert turn_cost(dear, Usage(cached_tokens=5)) is None, "no count said: cost unknown, never $0"


def test_a_sum_that_is_no_bill_reads_cost_unknown():
    assert format_usd(1e308 + 1e308) == "cost unknown"
    assert format_usd(float("nan")) == "cost unknown"
    assert format_usd(0.0021) == "$0.0021"


# ---------------------------------------------------------------- through `rtchat ask`

ABSURD = chat_frames(
    '{"choices":[{"index":0,"delta":{"content":"one "}}],"usage":{"prompt_tokens":"12","completion_tokens":[1]}}',
    '{"choices":[{"index":0,"delta":{"content":"two "}}],"timings":{"cache_n":-1}}',
    '{"choices":[{"index":0,"delta":{"content":"three"}}],"usage":{"prompt_tokens":' + str(HUGE) + ',"completion_tokens":1000000000000000000,"cost":1e308}}',
    '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
)


def run(tmp_path, *args):
    return subprocess.run(rtchat_cmd(*args), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)


@pytest.fixture
def absurd_server(tmp_path):
    with canned_sse(ABSURD) as url:
        canned_provider_config(tmp_path / "config", url)
        with (tmp_path / "config" / "config.toml").open("a", encoding="utf-8") as config:
            config.write('\n[prices."canned/m"]\ninput = 0.28\noutput = 0.42\n')  # priced: 10^18 tokens must not become $420,000,000,000
        yield url


def test_ask_keeps_the_text_and_says_no_absurd_number(tmp_path, absurd_server):
    result = run(tmp_path, "ask", "--jsonl", "-m", "canned/m", "hi")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert "".join(e["text"] for e in events if e["type"] == "text") == "one two three"
    unknown = {"type": "cost", "usd": None, "source": "unknown", "saved_usd": None}
    assert [e for e in events if e["type"] == "cost"] == [unknown], "no cost: the server's is absurd and the counts are not said"
    assert all(e["cached_tokens"] is None for e in events if e["type"] == "server_timings")
    for usage in (e for e in events if e["type"] == "usage"):
        assert usage["input_tokens"] is None and usage["output_tokens"] is None
    notices = " ".join(e["text"] for e in events if e["type"] == "notice")
    assert "token counts make no sense" in notices and "the cost is left out" in notices

    plain = run(tmp_path, "ask", "-m", "canned/m", "again")
    assert plain.returncode == 0 and "Traceback" not in plain.stderr, plain.stderr
    assert plain.stdout.strip() == "one two three"
    listed = run(tmp_path, "history")
    assert listed.returncode == 0 and "$" not in listed.stdout and "inf" not in listed.stdout, listed.stdout
    exported = run(tmp_path, "export", "last")
    assert "one two three" in exported.stdout and "$" not in exported.stdout and "_cost unknown" in exported.stdout


def test_socket_decoders_keep_text_beside_odd_usage():
    from rtchat.wire.deepseek_socket import decode_payload
    from rtchat.wire.gemini_live import LiveDecoder
    from rtchat.wire.openai_realtime import usage_from

    realtime = usage_from({"input_tokens": "12", "output_tokens": 10**19, "input_token_details": [1]})
    assert realtime[0] == Usage() and warnings_of(realtime)
    assert Usage() in decode_payload({"type": "done", "usage": {"prompt_tokens": [1], "prompt_tokens_details": "x"}})
    live = LiveDecoder().feed({"serverContent": {"modelTurn": {"parts": [{"text": "kept"}]}}, "usageMetadata": {"responseTokenCount": "7", "thoughtsTokenCount": [1]}})
    assert text_of(live) == "kept"

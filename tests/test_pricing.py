"""Cost arithmetic against hand-computed figures, for each provider's usage shape as it
arrives on the wire (decoded by the real decoders)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtchat.answer import fold
from rtchat.config import parse_config
from rtchat.events import Cost, Usage
from rtchat.pricing import FREE, Price, format_usd, price_for
from tests.support.streams import decode_chunks


def usage_of(wire: str, stream: str) -> Usage:
    return fold(decode_chunks(wire, [stream.encode()])).usage


def sse(payload: dict, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n"


def test_openai_cached_tokens():
    # 10,000 prompt tokens of which 8,000 cached, 500 out, gpt-5: 2,000 x 1.25 + 8,000 x 0.125 + 500 x 10 per million
    stream = sse({"choices": [], "usage": {"prompt_tokens": 10_000, "completion_tokens": 500, "prompt_tokens_details": {"cached_tokens": 8_000}}}) + "data: [DONE]\n\n"
    cost = price_for("openai/gpt-5").cost(usage_of("openai_chat", stream))
    assert cost.usd == pytest.approx((2_000 * 1.25 + 8_000 * 0.125 + 500 * 10.0) / 1e6)  # 0.0085
    assert cost.saved_usd == pytest.approx(8_000 * (1.25 - 0.125) / 1e6)  # 0.009


def test_anthropic_cache_read_and_creation():
    # input 100 fresh + 2,000 read + 1,000 written; 300 out; claude-sonnet-4-5
    stream = (
        sse({"type": "message_start", "message": {"usage": {"input_tokens": 100, "cache_read_input_tokens": 2_000, "cache_creation_input_tokens": 1_000, "output_tokens": 1}}}, "message_start")
        + sse({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 300}}, "message_delta")
        + sse({"type": "message_stop"}, "message_stop")
    )
    usage = usage_of("anthropic", stream)
    assert (usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens, usage.output_tokens) == (3_100, 2_000, 1_000, 300)
    cost = price_for("anthropic/claude-sonnet-4-5").cost(usage)
    assert cost.usd == pytest.approx((100 * 3.0 + 2_000 * 0.30 + 1_000 * 3.75 + 300 * 15.0) / 1e6)  # 0.00915
    assert cost.saved_usd == pytest.approx(2_000 * 2.70 / 1e6)


def test_gemini_cached_content():
    stream = sse({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 4_000, "cachedContentTokenCount": 3_000, "candidatesTokenCount": 200, "thoughtsTokenCount": 50}})
    usage = usage_of("gemini", stream)
    cost = price_for("gemini/gemini-2.5-flash").cost(usage)
    assert usage.output_tokens == 250  # candidates plus thoughts: both are billed as output
    assert cost.usd == pytest.approx((1_000 * 0.30 + 3_000 * 0.075 + 250 * 2.50) / 1e6)


def test_deepseek_hit_and_miss():
    stream = sse({"choices": [], "usage": {"prompt_tokens": 1_800, "completion_tokens": 100, "prompt_cache_hit_tokens": 1_669, "prompt_cache_miss_tokens": 131}}) + "data: [DONE]\n\n"
    cost = price_for("deepseek/deepseek-chat").cost(usage_of("openai_chat", stream))
    assert cost.usd == pytest.approx((131 * 0.28 + 1_669 * 0.028 + 100 * 0.42) / 1e6)
    assert cost.saved_usd == pytest.approx(1_669 * (0.28 - 0.028) / 1e6)
    assert format_usd(cost.saved_usd) == "$0.0004"


def test_a_server_reported_cost_wins_over_the_table():
    answer = fold([Cost(0.5, "server"), Cost(0.1, "table")])
    assert answer.cost == Cost(0.5, "server")


def test_prices_resolve_variants_overrides_and_local_servers():
    assert price_for("openai/gpt-5@rate=10") == price_for("openai/gpt-5")
    assert price_for("ollama/llama3.2", free=True) == FREE and price_for("vllm/any", free=True) == FREE
    assert price_for("vllm/any") is None and price_for("litellm/gpt-5") is None, "not on this machine: cost unknown, never $0"
    assert price_for("loopback/echo", free=True).input == 0.28, "the loopback shows the arithmetic with DeepSeek's prices"
    assert price_for("someone/unknown-model") is None
    overrides = parse_config('[prices."openai/gpt-5"]\ninput = 2\noutput = 20\n', Path("config.toml")).prices
    assert price_for("openai/gpt-5", overrides) == Price(2.0, 20.0, 0.125)


def test_each_turn_cost_is_stored_and_summed_per_conversation(tmp_path):
    import subprocess

    from rtchat.store import Store
    from tests.support.env import isolated_env, rtchat_cmd

    env = isolated_env(tmp_path)
    for args in (["-m", "loopback/echo", "first"], ["--continue", "second"]):
        done = subprocess.run(rtchat_cmd("ask", "--jsonl", *args), env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines() if '"type": "cost"' in line]
    with Store.open(tmp_path / "data" / "history.db") as store:
        summary = store.list_conversations()[0]
        _, messages = store.load_conversation(summary.id)
    answers = [m for m in messages if m.role == "assistant"]
    assert [m.cost_source for m in answers] == ["table", "table"]
    assert answers[-1].cost_usd == pytest.approx(printed[-1]["usd"])
    assert summary.cost_usd == pytest.approx(sum(m.cost_usd for m in answers))


async def test_a_request_past_the_context_window_is_warned_about_first(loopback, monkeypatch, tmp_path):
    from rtchat.config import load_config
    from rtchat.conversation import Conversation
    from rtchat.events import Notice
    from rtchat.session import Session

    monkeypatch.setenv("RTCHAT_CONFIG_DIR", str(tmp_path))
    session = Session(load_config())
    try:
        target = await session.resolve("loopback/echo")
        conversation = Conversation()
        conversation.add_user("word " * 30_000)  # ~37,500 tokens against echo's 32,000
        turn = session.turn(target, conversation)
        async for first in turn.events():
            turn.cancel()  # the warning comes before anything else: no need to hear the echo out
            break
    finally:
        await session.aclose()
    assert isinstance(first, Notice) and first.level == "warning"
    assert "context window of 32,000" in first.text


def test_history_lists_each_conversations_cost(tmp_path):
    import subprocess

    from tests.support.env import isolated_env, rtchat_cmd

    env = isolated_env(tmp_path)
    assert subprocess.run(rtchat_cmd("ask", "-m", "loopback/echo", "what does it cost"), env=env, capture_output=True, timeout=60).returncode == 0
    listing = subprocess.run(rtchat_cmd("history", "--json"), env=env, capture_output=True, text=True, timeout=60)
    [row] = json.loads(listing.stdout)
    assert row["cost_usd"] > 0
    plain = subprocess.run(rtchat_cmd("history"), env=env, capture_output=True, text=True, timeout=60).stdout
    assert format_usd(row["cost_usd"]) in plain.splitlines()[0]


def test_a_sum_too_small_for_four_places_is_never_shown_as_zero():
    from rtchat.pricing import format_usd

    assert format_usd(0.00002) == "<$0.0001" and format_usd(0.0) == "$0" and format_usd(0.0021) == "$0.0021"


async def test_a_remote_self_hosted_server_or_a_gateway_is_priced_unknown_never_free():
    """Resolving picks the price by where the model runs: nothing is contacted (no DNS) to decide."""
    from rtchat.config import load_config
    from rtchat.session import Session

    session = Session(load_config())
    try:
        assert (await session.resolve("vllm/any", "https://gpu.example.com/v1")).price is None
        assert (await session.resolve("ollama/llama3.2", "https://ollama.com/v1")).price is None
        assert (await session.resolve("litellm/gpt-x", "http://localhost:4000/v1")).price is None
        assert (await session.resolve("vllm/any", "http://127.0.0.1:8000/v1")).price == FREE
        assert (await session.resolve("openai/gpt-5", "http://127.0.0.1:8000/v1")).price == price_for("openai/gpt-5"), "a listed price wins"
    finally:
        await session.aclose()

"""The bench's thinking pass and cache pass against the loopback's shaped models (issue 27):
the `think` model thinks for exactly its budget, a repeated prefix is read from a real prompt
cache (a first request is never a hit), and the table, --json and the chart print the seed's
quoted figures beside what was measured."""

from __future__ import annotations

import json

import httpx
import pytest

from rtchat.bench import seed
from rtchat.bench.chart_svg import render_svg
from rtchat.bench.plan import Plan
from rtchat.bench.runner import run_bench
from rtchat.bench.table import render_table
from rtchat.config import load_config
from rtchat.loopback.budget import thinking_budget
from rtchat.loopback.pacing import Schedule
from rtchat.loopback.scripts import Conversation, Message, ModelError, parse_model, write_script
from rtchat.loopback.shape import CACHED_COST
from rtchat.sanitize import strict_json

PROMPT = Conversation(messages=(Message("user", "how long do you think"),))


def usage_of(body: str) -> dict:
    chunks = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: {")]
    return next(chunk["usage"] for chunk in reversed(chunks) if chunk.get("usage"))


async def test_the_think_model_thinks_for_the_budget_each_wire_names(loopback):
    """Over real HTTP: OpenAI's effort, Anthropic's budget_tokens; `none` thinks not at all."""
    async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
        thought = {}
        for effort in ("none", "low", "medium", "high"):
            body = {"model": "think", "stream": True, "stream_options": {"include_usage": True}, "reasoning_effort": effort,
                    "messages": [{"role": "user", "content": "think"}]}
            response = await client.post(f"{loopback.url}/v1/chat/completions", json=body)
            usage = usage_of(response.text)
            thought[effort] = usage["completion_tokens_details"]["reasoning_tokens"]
            assert response.text.count('"reasoning_content"') == -(-thought[effort] // 16), "thinking streams in chunks of 16 tokens"
        assert thought == {"none": 0, "low": 1024, "medium": 4096, "high": 16384}
        body = {"model": "think", "max_tokens": 4000, "stream": False, "thinking": {"type": "enabled", "budget_tokens": 2000},
                "messages": [{"role": "user", "content": "think"}]}
        message = (await client.post(f"{loopback.url}/v1/messages", json=body, headers={"x-api-key": "x", "anthropic-version": "2023-06-01"})).json()
        [thinking] = [block for block in message["content"] if block["type"] == "thinking"]
        assert len(thinking["thinking"].split()) == 2000


def test_the_budget_is_read_in_every_wires_words():
    assert thinking_budget({"reasoning_effort": "medium"}) == 4096
    assert thinking_budget({"reasoning": {"effort": "high"}}) == 16384
    assert thinking_budget({"thinking": {"type": "enabled", "budget_tokens": 3000}}) == 3000
    assert thinking_budget({"generationConfig": {"thinkingConfig": {"thinkingBudget": 512}}}) == 512
    assert thinking_budget({"generationConfig": {"thinkingConfig": {"thinkingBudget": -1}}}) is None, "dynamic: no budget named"
    assert thinking_budget({"messages": []}) is None


def test_the_shape_time_to_answer_and_rate_follow_the_budget_as_the_seed_says():
    """Deterministic (the schedule, no clock): at scale=1 the seed's figures within 10%."""
    spec = parse_model("think@scale=1")
    for budget, (ttft_ms, rate) in zip((0, 1024, 4096, 16384), seed.THINKING.values()):
        script = write_script("think", PROMPT, thinking=budget > 0, budget=budget)
        schedule = Schedule.for_answer(spec, script, input_tokens=10, cached_tokens=0, origin=0.0)
        first = script.thinking_parts
        assert first * script.thinking_chunk == budget
        assert schedule.due(first) * 1000 == pytest.approx(ttft_ms, rel=0.2), budget  # 1K: 1.42 s vs the seed's 1.2 s
        assert 1 / (schedule.due(first + 1) - schedule.due(first)) == pytest.approx(rate, rel=0.1), budget
    fast = parse_model("think")
    assert fast.ttft == pytest.approx(spec.ttft / 10) and fast.rate == pytest.approx(spec.rate * 10), "the default: 10x faster"


def test_a_cached_prefix_is_read_at_a_tenth_of_the_cost():
    spec = parse_model("echo@prefill=1000")
    script = write_script("echo", PROMPT, thinking=False)
    cold = Schedule.for_answer(spec, script, 2000, 0, 0.0).due(0)
    warm = Schedule.for_answer(spec, script, 2000, 2000, 0.0).due(0)
    assert (cold, warm) == (pytest.approx(2.0), pytest.approx(2.0 * CACHED_COST))
    assert Schedule.for_answer(parse_model("echo"), script, 2000, 0, 0.0).due(0) == 0.0, "plain models read for free, as before"


def test_scale_belongs_to_the_think_model_only():
    with pytest.raises(ModelError):
        parse_model("echo@scale=1")
    with pytest.raises(ModelError):
        parse_model("think@scale=0")


async def test_a_first_request_is_never_a_cache_hit_and_a_repeat_is(loopback):
    prefix = "notes " * 3000
    body = {"model": "echo@prefill=200000", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "system", "content": prefix}, {"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
        first = usage_of((await client.post(f"{loopback.url}/v1/chat/completions", json=body)).text)
        again = usage_of((await client.post(f"{loopback.url}/v1/chat/completions", json=body)).text)
        other = usage_of((await client.post(f"{loopback.url}/v1/chat/completions", json={**body, "model": "lorem@rate=0"})).text)
    assert first["prompt_tokens_details"]["cached_tokens"] == 0
    assert again["prompt_tokens_details"]["cached_tokens"] == again["prompt_tokens"] == first["prompt_tokens"]
    assert other["prompt_tokens_details"]["cached_tokens"] == 0, "the cache is keyed on the model too"


async def test_the_bench_tables_by_budget_and_cache_with_the_seeds_figures(isolated):
    result = await run_bench(load_config(), "loopback/lorem@rate=2000", ["sse"], 1, "tell me", thinking_pass=True)
    rows = result.thinking()
    assert list(rows) == ["off", "1K", "4K", "16K"]
    assert [row["thinking_tokens"] for row in rows.values()] == [0, 1024, 4096, 16384]
    assert rows["16K"]["ttft_ms"]["median"] > rows["off"]["ttft_ms"]["median"], "16K tokens of thought come before the answer"
    assert all(row["tokens_per_s"]["median"] > 0 for row in rows.values())  # the rate's shape: the schedule test above (no clock)
    cache = result.cache("sse")
    assert cache["ttft_warm_ms"]["median"] < cache["ttft_cold_ms"]["median"], "the repeated prefix is read from the cache"
    assert cache["input_saving"] == pytest.approx(0.9, abs=0.01) and cache["input_cost_fresh_usd"] > cache["input_cost_repeated_usd"]
    table = render_table(result)
    assert "thinking pass (loopback/think over sse" in table and "18,000 ms" in table and "30 tok/s" in table
    assert "input cost, fresh prefix" in table and "saving" in table and "350 ms on a miss, 45 ms on a hit" in table
    assert "came from rtchat's loopback" in table and "seed: latency (quoted)" in table
    svg = render_svg(result)
    assert "thinking pass (loopback/think)" in svg and "(seed: 18,000 ms, 30.0 tok/s)" in svg and "(seed: 350 / 45 ms" in svg
    assert Plan(("sse",), 1, True, True).turns() == 3 + 3 + 5
    data = json.loads(strict_json(result.to_json()))  # what `rtchat bench --json` prints (its CLI test skips this pass)
    thinking = data["thinking"]
    assert (thinking["model"], thinking["protocol"]) == ("loopback/think", "sse")
    assert {budget: row["thinking_tokens"] for budget, row in thinking["budgets"].items()} == {"off": 0, "1K": 1024, "4K": 4096, "16K": 16384}
    assert all(row[key][stat] > 0 for row in thinking["budgets"].values() for key in ("ttft_ms", "tokens_per_s") for stat in ("median", "min", "max", "p5", "p95"))
    assert {s["kind"] for s in data["samples"]} == {"measured", "interrupt", "cache_cold", "cache_warm", "thinking"}
    assert data["seed"]["thinking"]["16K"] == {"ttft_ms": 18000.0, "tokens_per_s": 30.0}


async def test_a_model_that_cannot_think_skips_the_pass_and_says_why(isolated):
    result = await run_bench(load_config(), "openai/gpt-4.1", ["sse"], 1, "x", base_url="http://127.0.0.1:9/v1", thinking_pass=True, cache_pass=False)
    assert result.thinking_skipped and "no thinking budget" in result.thinking_skipped
    assert "thinking pass: not run" in render_table(result)

"""`rtchat race` as scripts run it: a real process against the loopback, isolated dirs, no key."""

from __future__ import annotations

import json
import subprocess

from tests.support.env import isolated_env, rtchat_cmd

FIGURES = ("ttft_ms", "total_ms", "input_tokens", "output_tokens", "cost_usd")


def race(tmp_path, *args, timeout=60):
    return subprocess.run(
        rtchat_cmd("race", *args), env=isolated_env(tmp_path), capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, cwd=tmp_path,
    )


def test_json_gives_figures_and_the_answer_for_every_target(tmp_path):
    result = race(tmp_path, "race these words", "-m", "loopback/echo@rate=400,ttft=50", "-m", "loopback/echo@rate=400", "--protocols", "sse,websocket,webrtc", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # strict JSON: no NaN or Infinity could pass json.loads(..., parse_constant=...) either
    assert data["prompt"] == "race these words"
    targets = data["targets"]
    assert [(t["model"], t["protocol"]) for t in targets] == [
        (model, protocol) for model in ("loopback/echo@rate=400,ttft=50", "loopback/echo@rate=400") for protocol in ("sse", "websocket", "webrtc")
    ]
    for target in targets:
        assert target["reason"] == "complete" and target["error"] is None, target
        assert "race these words" in target["answer"]
        figures = target["figures"]
        for key in FIGURES:
            assert isinstance(figures[key], (int, float)) and figures[key] >= 0, (target["protocol"], key)
        opened = "connect_ms" if target["protocol"] == "sse" else "setup_ms"  # a socket or call opens before the start
        assert isinstance(figures[opened], (int, float)) and figures[opened] >= 0, target
        assert figures["ttft_ms"] > 0
        # 13 tokens at 400 tok/s span 30 ms, too short to mean a rate (test_bench_stats), unless a
        # loaded machine spread their arrivals past 0.1 s: then a real, finite rate.
        assert figures["tokens_per_s"] is None or 0 < figures["tokens_per_s"] < 10_000
    assert set(data["figures_cover"]) >= {"setup_ms", "connect_ms", "ttft_ms", "tokens_per_s"}
    assert sum(t["first_answer"] for t in targets) == 1 and sum(t["first_finish"] for t in targets) == 1


def test_one_target_or_seven_is_a_one_line_usage_error(tmp_path):
    for args in (["-m", "loopback/echo", "--protocols", "sse"], ["-m", "loopback/echo", "-m", "loopback/lorem", "-m", "loopback/echo@1", "--protocols", "sse,websocket,webrtc"]):
        result = race(tmp_path, "hi", *args, "--json")
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and "2 to 6 targets" in result.stderr


def test_a_paid_provider_is_refused_without_a_terminal_or_yes(tmp_path):
    result = race(tmp_path, "hi", "-m", "openai/gpt-4.1", "-m", "loopback/echo", "--protocols", "sse", "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert "spends tokens on openai" in result.stderr and "--yes" in result.stderr

"""`rtchat bench` as a user runs it: a real process against the loopback, isolated dirs."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import xml.etree.ElementTree as ET

from rtchat.bench.result import METRICS
from tests.support.env import isolated_env, rtchat_cmd


def bench(tmp_path, *args, timeout=60, **env):
    return subprocess.run(
        rtchat_cmd("bench", *args), env=isolated_env(tmp_path, **env), capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, cwd=tmp_path,
    )


def positive_and_finite(summary: dict) -> bool:
    return all(isinstance(summary[k], (int, float)) and math.isfinite(summary[k]) and summary[k] > 0 for k in ("median", "min", "max", "p5", "p95"))


def test_a_short_loopback_bench_gives_positive_figures_json_and_an_svg(tmp_path):
    """Every protocol and the cache pass; no thinking pass, which sleeps ~9 s of paced thinking
    (its figures and JSON: test_bench_thinking_cache.py, in-process). 200 tokens a measured turn
    stay: at 1,000 tok/s fewer would span under the 0.1 s a rate needs (rtchat/metrics.py)."""
    chart = tmp_path / "out.svg"
    result = bench(tmp_path, "--runs", "2", "--no-thinking-pass", "--json", "--chart", str(chart), timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "loopback/lorem@rate=1000" and data["runs"] == 2
    assert set(data["protocols"]) == {"sse", "websocket", "webrtc"}
    assert data["protocols"]["sse"]["available"]
    for name, status in data["protocols"].items():
        if not status["available"]:  # a protocol not in this checkout yet: named, with the reason
            assert status["reason"] and name not in data["summary"]
    for name, metrics in data["summary"].items():
        for key, _, _ in METRICS:
            assert metrics[key] is not None and metrics[key]["n"] == 2, (name, key)
            assert positive_and_finite(metrics[key]), (name, key, metrics[key])
        cache = metrics["cache"]
        assert positive_and_finite(cache["ttft_cold_ms"]) and positive_and_finite(cache["ttft_warm_ms"])
        assert cache["reported"] and cache["cached_tokens_warm"] > 0 and cache["cached_tokens_cold"] == 0
    measured = [s for s in data["samples"] if s["kind"] == "measured"]
    assert measured and all(s["tokens"] == 200 and len(s["gaps_ms"]) == 199 for s in measured)
    assert {s["kind"] for s in data["samples"]} == {"measured", "interrupt", "cache_cold", "cache_warm"}
    assert not data["thinking"]["budgets"] and data["thinking"]["model"] is None, "--no-thinking-pass runs none"
    assert data["seed"]["thinking"]["16K"] == {"ttft_ms": 18000.0, "tokens_per_s": 30.0} and data["figures_from"].startswith("the loopback")
    root = ET.parse(chart).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert "bench:" in result.stderr  # plain-text progress without a terminal
    assert "Traceback" not in result.stderr


def test_a_protocol_the_model_does_not_offer_is_reported_not_available(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    # A loopback model declared in the config offers SSE only (the catalog default).
    (config / "config.toml").write_text('[providers.loopback]\nmodels = ["lorem@rate=2000"]\n')
    result = bench(tmp_path, "-m", "loopback/lorem@rate=2000", "--protocols", "sse,websocket", "--runs", "1", "--no-cache-pass", "--no-thinking-pass", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["protocols"]["sse"]["available"]
    websocket = data["protocols"]["websocket"]
    assert websocket["available"] is False and "SSE only" in websocket["reason"]
    assert list(data["summary"]) == ["sse"]


def test_the_table_names_unavailable_protocols(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[providers.loopback]\nmodels = ["lorem@rate=2000"]\n')
    result = bench(tmp_path, "-m", "loopback/lorem@rate=2000", "--protocols", "sse,webrtc", "--runs", "1", "--no-cache-pass", "--no-thinking-pass")
    assert result.returncode == 0, result.stderr
    assert "time to first token" in result.stdout
    assert "webrtc: not available" in result.stdout


def test_a_paid_provider_without_yes_or_a_terminal_refuses_before_sending(tmp_path):
    with socket.socket() as trap:  # every request would go through this proxy; none may arrive
        trap.bind(("127.0.0.1", 0))
        trap.listen()
        trap.setblocking(False)
        proxy = f"http://127.0.0.1:{trap.getsockname()[1]}"
        result = bench(
            tmp_path, "-m", "openai/gpt-5-mini", "--runs", "1", timeout=30,
            OPENAI_API_KEY="sk-test", HTTPS_PROXY=proxy, HTTP_PROXY=proxy, ALL_PROXY=proxy,
        )
        try:
            trap.accept()
            connected = True
        except BlockingIOError:
            connected = False
    assert result.returncode == 2
    assert "--yes" in result.stderr and "openai" in result.stderr and "tokens" in result.stderr
    assert result.stdout == ""
    assert not connected

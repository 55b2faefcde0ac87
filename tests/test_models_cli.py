"""`rtchat models`: the catalogue plus the provider's own /models, cached."""

import json

from tests.support.env import run_rtchat


def test_lists_capabilities_and_key_state(tmp_path):
    out = run_rtchat(tmp_path, "models").stdout
    assert "loopback/echo" in out and "openai/gpt-realtime" in out
    line = next(l for l in out.splitlines() if l.startswith("anthropic/claude-sonnet-4-5"))
    assert "thinking" in line and line.rstrip().endswith("missing")
    assert next(l for l in out.splitlines() if l.startswith("loopback/echo")).rstrip().endswith("not needed")


def test_refresh_asks_the_server_and_caches(tmp_path):
    out = run_rtchat(tmp_path, "models", "--provider", "loopback", "--refresh").stdout
    assert "loopback/fault-429" in out  # only the server's own list has the fault models
    cache = json.loads((tmp_path / "cache" / "models" / "loopback.json").read_text())
    assert "fault-429" in cache["models"]
    assert "loopback/fault-429" in run_rtchat(tmp_path, "models", "--provider", "loopback").stdout  # from the cache now


def test_unknown_provider(tmp_path):
    result = run_rtchat(tmp_path, "models", "--provider", "nope")
    assert result.returncode == 2 and "unknown provider 'nope'" in result.stderr

"""`rtchat models`: the catalogue plus the provider's own /models, cached."""

import json
import subprocess

from tests.support.env import isolated_env, rtchat_cmd


def models(tmp_path, *args):
    return subprocess.run(rtchat_cmd("models", *args), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)


def test_lists_capabilities_and_key_state(tmp_path):
    out = models(tmp_path).stdout
    assert "loopback/echo" in out and "openai/gpt-realtime" in out
    line = next(l for l in out.splitlines() if l.startswith("anthropic/claude-sonnet-4-5"))
    assert "thinking" in line and line.rstrip().endswith("missing")
    assert next(l for l in out.splitlines() if l.startswith("loopback/echo")).rstrip().endswith("not needed")


def test_refresh_asks_the_server_and_caches(tmp_path):
    out = models(tmp_path, "--provider", "loopback", "--refresh").stdout
    assert "loopback/fault-429" in out  # only the server's own list has the fault models
    cache = json.loads((tmp_path / "cache" / "models" / "loopback.json").read_text())
    assert "fault-429" in cache["models"]
    assert "loopback/fault-429" in models(tmp_path, "--provider", "loopback").stdout  # from the cache now


def test_unknown_provider(tmp_path):
    result = models(tmp_path, "--provider", "nope")
    assert result.returncode == 2 and "unknown provider 'nope'" in result.stderr

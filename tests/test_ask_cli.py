"""`rtchat ask` as a user runs it: a real process, real sockets, the loopback default."""

from __future__ import annotations

import json
import subprocess

from tests.support.env import isolated_env, rtchat_cmd
from tests.support.interrupt import interrupt_ask


def ask(tmp_path, *args, timeout=60, **env):
    return subprocess.run(rtchat_cmd("ask", *args), env=isolated_env(tmp_path, **env), capture_output=True, text=True, timeout=timeout)


def test_no_key_defaults_to_loopback_and_streams_the_answer(tmp_path):
    result = ask(tmp_path, "hello from a fresh machine")
    assert result.returncode == 0, result.stderr
    assert "hello from a fresh machine" in result.stdout
    assert result.stdout.endswith("\n")
    assert "Traceback" not in result.stderr


def test_jsonl_contract(tmp_path):
    result = ask(tmp_path, "--jsonl", "--model", "loopback/echo", "json please")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    types = [line["type"] for line in lines]
    assert types[-1] == "done" and lines[-1]["reason"] == "complete"
    assert types[-2] == "metrics" and lines[-2]["ttft_ms"] > 0
    assert "thinking" in types and "usage" in types
    usage = next(line for line in lines if line["type"] == "usage")
    assert set(usage) == {"type", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "cache_write_tokens"}
    cost = next(line for line in lines if line["type"] == "cost")
    assert cost["source"] == "table" and cost["usd"] > 0 and types.index("cost") < types.index("metrics")
    text = "".join(line["text"] for line in lines if line["type"] == "text")
    assert "json please" in text


def test_no_thinking_hides_and_disables_reasoning(tmp_path):
    result = ask(tmp_path, "--jsonl", "--no-thinking", "-m", "loopback/echo", "no thoughts")
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert "thinking" not in types and types[-1] == "done"


def test_prompt_from_stdin(tmp_path):
    result = subprocess.run(rtchat_cmd("ask"), input="piped prompt", env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "piped prompt" in result.stdout


def test_errors_are_one_clear_line_and_exit_1(tmp_path):
    result = ask(tmp_path, "-m", "loopback/fault-401", "hi")
    assert result.returncode == 1
    assert "rtchat: error:" in result.stderr and "rtchat keys set loopback" in result.stderr and "Traceback" not in result.stderr
    result = ask(tmp_path, "-m", "nosuch/model", "hi")
    assert result.returncode == 2 and "unknown provider 'nosuch'" in result.stderr


def test_bad_config_names_the_line(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("default_model = \n")
    result = ask(tmp_path, "hi")
    assert result.returncode == 2 and "config.toml" in result.stderr and "line 1" in result.stderr and "Traceback" not in result.stderr


def test_control_sequences_from_the_model_never_reach_the_terminal(tmp_path):
    hostile = "evil \x1b]52;c;ZXZpbA==\x07 \x1b[2J done"
    result = subprocess.run(rtchat_cmd("ask", "-m", "loopback/echo", hostile), env=isolated_env(tmp_path), capture_output=True, timeout=60)
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout
    assert "done".encode() in result.stdout


def test_sigint_interrupts_keeps_output_and_exits_130(tmp_path):
    code, events, _ = interrupt_ask(tmp_path, "-m", "loopback/lorem", "write")
    assert code == 130
    assert events[-1] == {"type": "done", "reason": "interrupted"}
    assert sum(1 for e in events if e["type"] == "text") >= 3

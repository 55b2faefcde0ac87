"""`rtchat ask` as a user runs it: a real process, real sockets, the loopback default."""

from __future__ import annotations

import json
import os
import pty
import subprocess

from tests.support.env import isolated_env, rtchat_cmd, run_rtchat
from tests.support.interrupt import interrupt_ask


def test_no_key_defaults_to_loopback_and_streams_the_answer(tmp_path):
    result = run_rtchat(tmp_path, "ask", "hello from a fresh machine")
    assert result.returncode == 0, result.stderr
    assert "hello from a fresh machine" in result.stdout
    assert result.stdout.endswith("\n")
    assert "Traceback" not in result.stderr


def test_jsonl_contract(tmp_path):
    result = run_rtchat(tmp_path, "ask", "--jsonl", "--model", "loopback/echo", "json please")
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
    result = run_rtchat(tmp_path, "ask", "--jsonl", "--no-thinking", "-m", "loopback/echo@0", "no thoughts")
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert "thinking" not in types and types[-1] == "done"


def test_prompt_from_stdin(tmp_path):
    result = run_rtchat(tmp_path, "ask", input="piped prompt")
    assert result.returncode == 0 and "piped prompt" in result.stdout


def test_errors_are_one_clear_line_and_exit_1(tmp_path):
    result = run_rtchat(tmp_path, "ask", "-m", "loopback/fault-401", "hi")
    assert result.returncode == 1
    assert "rtchat: " in result.stderr and "rtchat keys set loopback" in result.stderr and "Traceback" not in result.stderr
    listed = run_rtchat(tmp_path, "history", "--json")
    assert listed.stdout.strip() == "[]"  # a first turn without an answer leaves no conversation
    result = run_rtchat(tmp_path, "ask", "-m", "nosuch/model", "hi")
    assert result.returncode == 2 and "unknown provider 'nosuch'" in result.stderr


def test_bad_config_names_the_line(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("default_model = \n")
    result = run_rtchat(tmp_path, "ask", "hi")
    assert result.returncode == 2 and "config.toml" in result.stderr and "line 1" in result.stderr and "Traceback" not in result.stderr


def test_control_sequences_from_the_model_never_reach_the_terminal(tmp_path):
    hostile = "evil \x1b]52;c;ZXZpbA==\x07 \x1b[2J done"
    result = subprocess.run(rtchat_cmd("ask", "-m", "loopback/echo@0", hostile), env=isolated_env(tmp_path), capture_output=True, timeout=60)
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout
    assert "done".encode() in result.stdout


def test_sigint_interrupts_keeps_output_and_exits_130(tmp_path):
    code, events, _ = interrupt_ask(tmp_path, "-m", "loopback/lorem", "write")
    assert code == 130
    assert events[-1] == {"type": "done", "reason": "interrupted"}
    assert sum(1 for e in events if e["type"] == "text") >= 3


def test_a_cut_or_refused_answer_says_so_on_stderr_and_exits_0(tmp_path):
    cut = run_rtchat(tmp_path, "ask", "-m", "loopback/fault-length@0", "a long prompt that will not fit in eight tokens at all")
    assert cut.returncode == 0 and cut.stdout
    assert cut.stderr.splitlines()[-1] == "rtchat: the answer was cut at the token limit (length)"
    refused = run_rtchat(tmp_path, "ask", "-m", "loopback/refusal@0", "hi")
    assert refused.returncode == 0 and "declines" in refused.stdout
    assert refused.stderr.splitlines()[-1] == "rtchat: the model refused (refusal)"
    whole = run_rtchat(tmp_path, "ask", "-m", "loopback/echo@0", "hi")
    assert whole.stderr == ""


def ask_with_terminal_stderr(tmp_path, *args, **env) -> bytes:
    """Run `ask` with stderr on a pseudo-terminal (thinking is shown only to a terminal)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(rtchat_cmd("ask", *args), env=isolated_env(tmp_path, **env), stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=60) == 0
        return seen
    finally:
        os.close(leader)


def test_no_color_and_dumb_terminals_get_no_escape_sequences(tmp_path):
    coloured = ask_with_terminal_stderr(tmp_path, "-m", "loopback/echo", "hi", TERM="xterm")
    assert b"\x1b[2mThis \x1b[0m" in coloured  # the control case: thinking shown, dimmed
    for env in ({"NO_COLOR": "1", "TERM": "xterm"}, {"TERM": "dumb"}):
        plain = ask_with_terminal_stderr(tmp_path, "-m", "loopback/echo", "--no-history", "hi", **env)
        assert b"This is turn" in plain and b"\x1b" not in plain, env


def test_a_prompt_that_is_not_utf8_is_one_clear_line(tmp_path):
    result = subprocess.run(rtchat_cmd("ask"), input=b"\xff\xfe hi", env=isolated_env(tmp_path), capture_output=True, timeout=60)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == "rtchat: the prompt on stdin is not UTF-8 text (byte 0xff at offset 0); convert it first, e.g. with `iconv -f latin1 -t utf-8`\n"

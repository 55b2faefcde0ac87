"""`transformers serve`, installed with torch in its own virtualenv, serving a tiny randomly initialised
Llama built on the spot (tests/interop/tiny_model.py: no hub download). Its words are gibberish, so
rtchat's text is compared with the server's own bytes for the very same request, never with an
expectation of what the model says."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.interop.procs import (
    assert_interrupted, Sentinel, Server, ask, installed_bin, chat_truth, finish_reasons, free_port, interrupt, record_versions, replayed, responses_truth,
    server_env, sse,
)

SERVER = "transformers serve"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_DATASETS_OFFLINE": "1"}


def hf_bin() -> Path:
    return installed_bin("transformers serve", "RTCHAT_INTEROP_HF_SKIP", "RTCHAT_INTEROP_HF_BIN", "hf", "transformers")


class Peer:
    def __init__(self, port: int, model: str, sentinel: Sentinel) -> None:
        self.url, self.model, self.sentinel = f"http://127.0.0.1:{port}", model, sentinel


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    bin_dir = hf_bin()
    record_versions(SERVER, bin_dir / "python", "transformers", "torch")
    tmp = tmp_path_factory.mktemp("transformers")
    model = tmp / "tiny-llama"
    sentinel = Sentinel()
    env = server_env(sentinel, HF_HOME=str(tmp / "hf-home"), **OFFLINE)
    built = subprocess.run([str(bin_dir / "python"), str(Path(__file__).with_name("tiny_model.py")), str(model)],
                           env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    port = free_port()
    argv = [str(bin_dir / "transformers"), "serve", str(model), "--host", "127.0.0.1", "--port", str(port),
            "--device", "cpu", "--default-seed", "0"]
    with Server("transformers serve", argv, ready_url=f"http://127.0.0.1:{port}/health", log_path=tmp / "serve.log",
                env=env, within=180, cwd=tmp):
        yield Peer(port, str(model), sentinel)
    sentinel.close()


@pytest.mark.route("chat SSE (tiny random Llama)")
def test_chat_sse_matches_the_servers_bytes(serve, tmp_path):
    run = ask(tmp_path / "home", "-m", f"vllm/{serve.model}", "--base-url", f"{serve.url}/v1", "hello there how are you")
    body, raw = replayed(run, f"{serve.url}/v1/chat/completions", chat_truth)
    assert body["model"] == serve.model
    assert chat_truth(raw)[1] is not None, "transformers serve counts the tokens of a stream"
    assert finish_reasons(raw) == ["length"], "the tiny model cannot say its end token: it runs to the server's limit"
    assert run.events[-1] == {"type": "done", "reason": "length"}


@pytest.mark.route("/v1/responses SSE (data-only frames)")
def test_responses_sse_matches_the_servers_bytes(serve, tmp_path):
    """transformers serve's Responses stream has `data:` lines only, no `event:` lines."""
    run = ask(tmp_path / "home", "-m", f"openai/{serve.model}", "--api", "responses", "--base-url", f"{serve.url}/v1",
              "the quick brown fox", OPENAI_API_KEY="not-a-key")
    _, raw = replayed(run, f"{serve.url}/v1/responses", responses_truth, {"Authorization": "Bearer not-a-key"})
    ends = [json.loads(d)["type"] for _, d in sse(raw) if json.loads(d)["type"] in ("response.completed", "response.incomplete")]
    assert run.events[-1] == {"type": "done", "reason": "length" if ends == ["response.incomplete"] else "complete"}, ends


@pytest.mark.route("SIGINT mid-stream (exit 130, partial kept)")
def test_sigint_mid_stream_keeps_the_partial_answer_and_exits_130(serve, tmp_path):
    run = interrupt(tmp_path / "home", "-m", f"vllm/{serve.model}", "--base-url", f"{serve.url}/v1", "one two three")
    assert_interrupted(run)


@pytest.mark.route("nothing left 127.0.0.1 (sentinel proxy saw no request)")
def test_the_server_reached_for_nothing_beyond_loopback(serve):
    """Runs last in this module: building the model and every request above are done."""
    assert serve.sentinel.seen == []

"""LiteLLM proxy, installed in its own virtualenv, between `rtchat ask` and two kinds of backend:
LiteLLM's own mock responses, and rtchat's loopback (`rtchat serve`) as an OpenAI and as an
Anthropic backend. Every answer rtchat prints is compared with the bytes the proxy sends for the
very request rtchat made (read from rtchat's `--debug` wire log and sent again with httpx)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.interop.procs import (
    assert_interrupted, Sentinel, Server, ask, chat_reasoning, chat_truth, chat_usage_with_cache, free_port, interrupt, loopback_server, messages_truth,
    realtime_replay, record_versions, replay, responses_truth, responses_usage_with_cache, server_env, socket_frames,
)

REPO = Path(__file__).resolve().parents[2]
SERVER = "LiteLLM proxy"
MOCK_TEXT = "Hello from the LiteLLM mock: one, two, three."


def litellm_binary() -> Path:
    path = Path(os.environ.get("RTCHAT_INTEROP_LITELLM", REPO / ".interop" / "litellm" / "bin" / "litellm"))
    if not path.exists():
        pytest.skip(f"LiteLLM proxy is not installed at {path} (scripts/interop installs it)")
    return path


def config(loopback_port: int, master_key: str) -> str:
    openai_base = f"http://127.0.0.1:{loopback_port}/v1"
    anthropic_base = f"http://127.0.0.1:{loopback_port}"
    models = {
        "mock-chat": {"model": "openai/mock-chat", "api_key": "not-a-key", "mock_response": MOCK_TEXT},
        "mock-fail": {"model": "openai/mock-fail", "api_key": "not-a-key", "mock_response": "litellm.RateLimitError"},
        "loop-echo": {"model": "openai/echo", "api_base": openai_base, "api_key": "loopback"},
        "loop-lorem": {"model": "openai/lorem", "api_base": openai_base, "api_key": "loopback"},
        "loop-401": {"model": "openai/fault-401", "api_base": openai_base, "api_key": "loopback"},
        "loop-claude": {"model": "anthropic/echo", "api_base": anthropic_base, "api_key": "loopback"},
        # Realtime aliases: LiteLLM's /v1/realtime relays to ws://…/v1/realtime?model=… on the loopback.
        "loop-voice": {"model": "openai/echo", "api_base": openai_base, "api_key": "loopback"},
        "loop-voice-long": {"model": "openai/lorem", "api_base": openai_base, "api_key": "loopback"},
        "loop-voice-fault": {"model": "openai/fault-error-frame", "api_base": openai_base, "api_key": "loopback"},
        "loop-voice-drop": {"model": "openai/fault-close-midreply", "api_base": openai_base, "api_key": "loopback"},
    }
    realtime = {name for name in models if name.startswith("loop-voice")}
    body = {
        "model_list": [{"model_name": name, "litellm_params": params, **({"model_info": {"mode": "realtime"}} if name in realtime else {})}
                       for name, params in models.items()],
        "litellm_settings": {"telemetry": False, "num_retries": 0},
        # A failing deployment is not benched: the replay of a failed request must meet the same failure.
        "router_settings": {"disable_cooldowns": True},
        "general_settings": {"master_key": master_key},
    }
    return json.dumps(body, indent=2)  # YAML is a superset of JSON


class Proxy:
    def __init__(self, port: int, key: str, loopback_port: int, sentinel: Sentinel) -> None:
        self.port, self.key, self.loopback_port, self.sentinel = port, key, loopback_port, sentinel
        self.url = f"http://127.0.0.1:{port}"

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def anthropic_headers(self) -> dict[str, str]:
        return {"x-api-key": self.key, "anthropic-version": "2023-06-01"}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    binary = litellm_binary()
    record_versions(SERVER, binary.with_name("python"), "litellm")
    tmp = tmp_path_factory.mktemp("litellm")
    key = "sk-interop-" + secrets.token_hex(16)
    sentinel = Sentinel()
    with loopback_server(tmp) as loopback:
        loopback_port = int(loopback.ready_url.split(":")[2].split("/")[0])
        (tmp / "config.yaml").write_text(config(loopback_port, key))
        port = free_port()
        env = server_env(sentinel, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", NO_DOCS="True",
                         LITELLM_LOG="ERROR")
        argv = [str(binary), "--config", str(tmp / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)]
        with Server("litellm", argv, ready_url=f"http://127.0.0.1:{port}/health/liveliness", log_path=tmp / "litellm.log",
                    env=env, within=120, cwd=tmp):
            yield Proxy(port, key, loopback_port, sentinel)
    sentinel.close()


def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def streamed(tmp_path: Path, path: str, headers: dict[str, str], *args: str, **env: str):
    """`rtchat ask ARGS` must finish complete after one streamed POST to `path`; that request is sent again with
    httpx, and the proxy's own raw SSE bytes for it come back with the run, and a function that runs the same
    `ask` once more (the replay has warmed the loopback's prompt cache: that run's usage, cached tokens
    included, must be the replay's)."""
    run = ask(home(tmp_path), *args, **env)
    assert run.returncode == 0, run.stderr
    assert run.events[-1] == {"type": "done", "reason": "complete"}
    (method, url, body), = run.requests
    assert method == "POST" and url.endswith(path) and body["stream"] is True
    status, ctype, raw = replay(url, body, headers)
    assert status == 200 and ctype.startswith("text/event-stream"), (status, ctype)
    return run, raw, lambda: ask(tmp_path / "again", *args, **env)


@pytest.mark.route("chat SSE, mock model")
def test_chat_sse_mock_model(proxy, tmp_path):
    run, raw, _ = streamed(tmp_path, "/v1/chat/completions", proxy.bearer(),
                           "-m", "litellm/mock-chat", "--base-url", f"{proxy.url}/v1", "say hello", LITELLM_API_KEY=proxy.key)
    text, usage = chat_truth(raw)
    assert text == MOCK_TEXT and run.text() == text
    assert usage is not None and run.usage("input_tokens", "output_tokens") == usage


@pytest.mark.route("chat SSE → rtchat serve as OpenAI backend")
def test_chat_sse_routed_to_an_openai_backend(proxy, tmp_path):
    run, raw, again = streamed(tmp_path, "/v1/chat/completions", proxy.bearer(), "-m", "litellm/loop-echo",
                               "--base-url", f"{proxy.url}/v1", "interop through litellm", LITELLM_API_KEY=proxy.key)
    text, usage = chat_truth(raw)
    assert "interop through litellm" in text and run.text() == text
    assert run.thinking() == chat_reasoning(raw) != ""
    assert run.usage("input_tokens", "output_tokens") == usage  # the first run met a cold prompt cache
    warm = again()
    assert warm.text() == text and warm.usage("input_tokens", "output_tokens", "cached_tokens") == chat_usage_with_cache(raw)


@pytest.mark.route("/v1/messages SSE → rtchat serve as Anthropic backend")
def test_messages_sse_routed_to_an_anthropic_backend(proxy, tmp_path):
    run, raw, again = streamed(tmp_path, "/v1/messages", proxy.anthropic_headers(), "-m", "anthropic/loop-claude",
                               "--base-url", proxy.url, "interop as claude", ANTHROPIC_API_KEY=proxy.key)
    text, usage = messages_truth(raw)
    assert "interop as claude" in text and run.text() == text
    assert run.usage("input_tokens", "output_tokens") == {k: usage[k] for k in ("input_tokens", "output_tokens")}
    warm = again()
    assert warm.text() == text and warm.usage("input_tokens", "output_tokens", "cached_tokens") == usage
    assert usage["cached_tokens"] > 0, "the replay came second: the loopback's prompt cache had seen the prompt"


@pytest.mark.route("/v1/responses SSE → rtchat serve as OpenAI backend")
def test_responses_sse_routed_to_an_openai_backend(proxy, tmp_path):
    run, raw, again = streamed(tmp_path, "/v1/responses", proxy.bearer(), "-m", "openai/loop-echo", "--api", "responses",
                               "--base-url", f"{proxy.url}/v1", "interop via responses", OPENAI_API_KEY=proxy.key)
    text, usage = responses_truth(raw)
    assert "interop via responses" in text and run.text() == text
    assert run.usage("input_tokens", "output_tokens") == usage
    warm = again()
    assert warm.text() == text and warm.usage("input_tokens", "output_tokens", "cached_tokens") == responses_usage_with_cache(raw)


@pytest.mark.route("200 JSON answer to a streaming request (/v1/messages, mock)")
def test_messages_answered_with_200_json_to_a_streaming_request(proxy, tmp_path):
    """LiteLLM's /v1/messages answers a mock (non-Anthropic) model with one JSON message, not a stream."""
    run = ask(home(tmp_path), "-m", "anthropic/mock-chat", "--base-url", proxy.url, "whole please",
              ANTHROPIC_API_KEY=proxy.key)
    (_, url, body), = run.requests
    status, ctype, raw = replay(url, body, proxy.anthropic_headers())
    assert body["stream"] is True and status == 200 and ctype.startswith("application/json"), (status, ctype)
    message = json.loads(raw)
    truth = "".join(block["text"] for block in message["content"] if block["type"] == "text")
    assert run.returncode == 0, run.stderr
    assert run.text() == truth == MOCK_TEXT
    assert run.usage("input_tokens", "output_tokens") == {k: message["usage"][k] for k in ("input_tokens", "output_tokens")}
    assert run.events[-1] == {"type": "done", "reason": "complete"}


@pytest.mark.route("errors (429 mock, 401 from backend, 500 + SSE error frame)")
def test_error_from_a_failing_model_is_one_error_event(proxy, tmp_path):
    run = ask(home(tmp_path), "-m", "litellm/mock-fail", "--base-url", f"{proxy.url}/v1", "fail please",
              LITELLM_API_KEY=proxy.key)
    _, url, body = run.requests[-1]
    status, ctype, raw = replay(url, body, proxy.bearer())
    assert status == 429 and ctype.startswith("application/json")
    server_message = json.loads(raw)["error"]["message"]
    assert run.returncode == 1 and run.events[-1] == {"type": "done", "reason": "error"}
    error = run.error()
    assert error is not None and error["kind"] == "rate_limit"
    assert "mock rate limit error" in server_message and "mock rate limit error" in error["message"]
    assert "Traceback" not in run.stderr


@pytest.mark.route("errors (429 mock, 401 from backend, 500 + SSE error frame)")
def test_error_from_the_backend_passes_through_the_proxy(proxy, tmp_path):
    run = ask(home(tmp_path), "-m", "litellm/loop-401", "--base-url", f"{proxy.url}/v1", "hi", LITELLM_API_KEY=proxy.key)
    _, url, body = run.requests[-1]
    status, _, raw = replay(url, body, proxy.bearer())
    assert status == 401, raw
    assert run.returncode == 1 and run.events[-1] == {"type": "done", "reason": "error"}
    assert run.error()["kind"] == "auth" and run.text() == ""


@pytest.mark.route("errors (429 mock, 401 from backend, 500 + SSE error frame)")
def test_error_inside_a_responses_stream(proxy, tmp_path):
    """LiteLLM's /v1/responses on a mock chat model: HTTP 500 with an SSE body holding one `error` frame."""
    run = ask(home(tmp_path), "-m", "openai/mock-chat", "--api", "responses", "--base-url", f"{proxy.url}/v1", "hi",
              OPENAI_API_KEY=proxy.key)
    _, url, body = run.requests[-1]
    status, _, raw = replay(url, body, proxy.bearer())
    server_message = json.loads(raw.split(b"data: ", 1)[1].split(b"\n", 1)[0])["error"]["message"]
    assert status == 500
    assert run.returncode == 1 and run.events[-1] == {"type": "done", "reason": "error"}
    assert server_message in run.error()["message"]


@pytest.mark.route("SIGINT mid-stream (exit 130, partial kept, backend sees the hang-up)")
def test_sigint_mid_stream_keeps_the_partial_answer_and_exits_130(proxy, tmp_path):
    run = interrupt(home(tmp_path), "-m", "litellm/loop-lorem", "--base-url", f"{proxy.url}/v1", "write",
                    LITELLM_API_KEY=proxy.key)
    assert_interrupted(run)
    # The hang-up travels through the proxy: the loopback sees its lorem stream end early.
    deadline = time.monotonic() + 30
    with httpx.Client(trust_env=False) as client:
        while True:
            records = client.get(f"http://127.0.0.1:{proxy.loopback_port}/loopback/stats").json()["records"]
            lorem = [r for r in records if r["model"] == "lorem"]
            if lorem and lorem[-1]["outcome"] != "streaming":
                break
            assert time.monotonic() < deadline, f"the loopback still streams lorem 30 s after the interrupt: {lorem}"
            time.sleep(0.1)  # poll interval
    assert lorem[-1]["outcome"] == "disconnected"


# ------------------------------------------------------------------ the realtime route (/v1/realtime)


def realtime(proxy: Proxy, home_dir: Path, alias: str, *args: str, history: bool = False):
    """`rtchat ask` over LiteLLM's realtime route with the `litellm-realtime` preset: a WebSocket, never SSE."""
    flags = ("-m", f"litellm-realtime/{alias}", "--protocol", "websocket", "--base-url", f"{proxy.url}/v1")
    return ask(home_dir, *flags, *args, history=history, LITELLM_API_KEY=proxy.key)


def loopback_connections(proxy: Proxy) -> list[dict]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        return client.get(f"http://127.0.0.1:{proxy.loopback_port}/loopback/stats").json()["connections"]


@pytest.mark.route("realtime route: text turn over the WebSocket (litellm-realtime preset)")
def test_realtime_text_turn_through_the_proxy_matches_its_own_frames(proxy, tmp_path):
    run = realtime(proxy, home(tmp_path), "loop-voice", "interop over the realtime route")
    assert run.returncode == 0, run.stderr
    assert run.events[-1] == {"type": "done", "reason": "complete"}
    assert run.requests == [], "nothing went over HTTP: the turn rode the socket"
    log = run.wire_log.read_text()
    assert f"ws        open ws://127.0.0.1:{proxy.port}/v1/realtime?model=loop-voice" in log and "'Authorization': '[redacted]'" in log
    assert proxy.key not in log
    sent = socket_frames(run.wire_log, "sent")
    assert [f["type"] for f in sent][-2:] == ["conversation.item.create", "response.create"]
    truth = realtime_replay(f"ws://127.0.0.1:{proxy.port}/v1/realtime?model=loop-voice", sent, proxy.bearer())
    assert "interop over the realtime route" in truth.text and run.text() == truth.text
    if truth.usage is not None:
        assert run.usage("input_tokens", "output_tokens") == truth.usage
    [*_, upstream] = [c for c in loopback_connections(proxy) if c["path"] == "/v1/realtime" and c["model"] == "echo"]
    assert "response.create" in upstream["received"]


@pytest.mark.route("realtime route: --continue (the earlier turn reaches the backend)")
def test_realtime_continue_sends_the_earlier_turn_through_the_proxy(proxy, tmp_path):
    first = realtime(proxy, home(tmp_path), "loop-voice", "first words", history=True)
    assert first.returncode == 0, first.stderr
    second = realtime(proxy, home(tmp_path), "loop-voice", "--continue", "second words", history=True)
    assert second.returncode == 0, second.stderr
    assert "second words" in second.text() and "(turn 2)" in second.text(), second.text()
    creates = [f for f in socket_frames(second.wire_log, "sent") if f["type"] == "conversation.item.create"]
    said = [part.get("text", "") for f in creates for part in f["item"].get("content", [])]
    assert any("first words" in text for text in said) and any("second words" in text for text in said)


@pytest.mark.route("realtime route: Ctrl-C relayed as response.cancel (exit 130, partial kept)")
def test_realtime_sigint_is_relayed_to_the_backend_as_response_cancel(proxy, tmp_path):
    run = interrupt(home(tmp_path), "-m", "litellm-realtime/loop-voice-long", "--protocol", "websocket", "--base-url", f"{proxy.url}/v1",
                    "write long", LITELLM_API_KEY=proxy.key)
    assert_interrupted(run)
    deadline = time.monotonic() + 30
    while True:  # the cancel travels client -> LiteLLM -> loopback; the loopback writes down what arrived
        lorem = [c for c in loopback_connections(proxy) if c["model"] == "lorem" and c["path"] == "/v1/realtime"]
        if lorem and "response.cancel" in lorem[-1]["received"]:
            break
        assert time.monotonic() < deadline, f"no response.cancel reached the backend within 30 s: {lorem}"
        time.sleep(0.1)  # poll interval


@pytest.mark.route("realtime route: upstream faults (error event mid-reply, socket dropped)")
def test_realtime_upstream_error_event_is_one_error_with_the_partial_answer(proxy, tmp_path):
    run = realtime(proxy, home(tmp_path), "loop-voice-fault", "fail midway please")
    sent = socket_frames(run.wire_log, "sent")
    truth = realtime_replay(f"ws://127.0.0.1:{proxy.port}/v1/realtime?model=loop-voice-fault", sent, proxy.bearer())
    assert truth.errors, "the proxy relays the backend's error event"
    assert run.returncode == 1 and run.events[-1] == {"type": "done", "reason": "error"}
    assert run.text() == truth.text and run.text().strip(), "the 5 tokens before the fault are kept"
    assert truth.errors[0] in run.error()["message"]


@pytest.mark.route("realtime route: upstream faults (error event mid-reply, socket dropped)")
def test_realtime_upstream_socket_dropped_mid_reply_is_an_error_not_a_hang(proxy, tmp_path):
    run = realtime(proxy, home(tmp_path), "loop-voice-drop", "drop midway please")
    assert run.returncode == 1, run.stderr
    assert run.events[-1] == {"type": "done", "reason": "error"} and run.error() is not None
    assert "Traceback" not in run.stderr


@pytest.mark.route("nothing left 127.0.0.1 (sentinel proxy saw no request)")
def test_the_sentinel_sees_what_the_servers_venv_would_send_out(tmp_path):
    """The control: a request for the internet from LiteLLM's own virtualenv (its httpx, the same environment)
    reaches the sentinel and no further."""
    sentinel = Sentinel()
    try:
        code = "import httpx\ntry:\n    httpx.get('https://raw.githubusercontent.com/x', timeout=5)\nexcept httpx.HTTPError as e:\n    print(type(e).__name__)"
        out = subprocess.run([str(litellm_binary().with_name("python")), "-c", code], env=server_env(sentinel),
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert sentinel.seen == ["CONNECT raw.githubusercontent.com:443 HTTP/1.1"], (sentinel.seen, out.stdout)
    finally:
        sentinel.close()


@pytest.mark.route("nothing left 127.0.0.1 (sentinel proxy saw no request)")
def test_the_proxy_reached_for_nothing_beyond_loopback(proxy):
    """Runs last in this module: by now every request above has gone through the proxy."""
    assert proxy.sentinel.seen == []

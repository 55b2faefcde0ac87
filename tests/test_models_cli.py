"""`rtchat models`: the catalogue plus the provider's own /models, cached."""

import json
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rtchat.catalog import BUILTIN
from rtchat.commands.models import FAULTS_HEADING
from rtchat.loopback.scripts import MODELS
from rtchat.ui.screens.model_choices import model_choices
from tests.support.env import run_rtchat


def test_lists_capabilities_and_key_state(tmp_path):
    out = run_rtchat(tmp_path, "models").stdout
    assert "loopback/echo" in out and "openai/gpt-realtime" in out
    line = next(l for l in out.splitlines() if l.startswith("anthropic/claude-sonnet-4-5"))
    assert "thinking" in line and line.rstrip().endswith("missing")
    assert next(l for l in out.splitlines() if l.startswith("loopback/echo")).rstrip().endswith("not needed")


def test_refresh_asks_the_server_and_caches(tmp_path):
    out = run_rtchat(tmp_path, "models", "--provider", "loopback", "--refresh").stdout
    assert [line.split()[0] for line in out.splitlines() if line.startswith("loopback/fault-429 ")] == ["loopback/fault-429"]  # listed once
    cache = json.loads((tmp_path / "cache" / "models" / "loopback.json").read_text())
    assert "fault-429" in cache["models"]
    assert "loopback/fault-429" in run_rtchat(tmp_path, "models", "--provider", "loopback").stdout  # from the cache now


def test_the_fault_models_are_listed_apart_and_the_picker_offers_the_same_models(tmp_path):
    out = run_rtchat(tmp_path, "models", "--provider", "loopback").stdout
    table, _, faults = out.partition(f"\n{FAULTS_HEADING}\n")
    assert faults, out
    assert "loopback/fault-429                           always HTTP 429 with Retry-After: 1\n" in faults
    fault_refs = [line.split()[0] for line in faults.splitlines()]
    table_refs = [line.split()[0] for line in table.splitlines()[1:] if line.strip()]
    assert all(ref.startswith("loopback/fault-") for ref in fault_refs) and not any("fault-" in ref for ref in table_refs)
    picker = model_choices([BUILTIN["loopback"]], lambda provider: False, MODELS)  # the rows ctrl+o lists for the loopback
    assert [choice.ref for choice in picker] == table_refs + fault_refs
    assert [choice.ref for choice in picker if choice.line().endswith("  fault model")] == fault_refs  # marked there too


def test_unknown_provider(tmp_path):
    result = run_rtchat(tmp_path, "models", "--provider", "nope")
    assert result.returncode == 2 and "unknown provider 'nope'" in result.stderr


@contextmanager
def local_servers_not_running():
    """Three addresses nothing listens on (bound, never listening: a connect is refused at once) and a
    LiteLLM that answers 500 (a stand-in HTTP server in a thread: the edge is the server itself)."""

    class Broken(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    closed = [socket.socket() for _ in range(3)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for sock in closed:
            sock.bind(("127.0.0.1", 0))
        ports = [sock.getsockname()[1] for sock in closed]
        yield {"vllm": ports[0], "llamacpp": ports[1], "lmstudio": ports[2], "litellm": server.server_address[1]}
    finally:
        server.shutdown()
        server.server_close()
        for sock in closed:
            sock.close()


def with_servers(tmp_path, ports):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text("".join(f'[providers.{name}]\nbase_url = "http://127.0.0.1:{port}/v1"\n' for name, port in ports.items()))


def test_local_servers_not_running_are_one_muted_line_with_their_addresses(tmp_path):
    with local_servers_not_running() as ports:
        with_servers(tmp_path, ports)
        result = run_rtchat(tmp_path, "models")
    assert result.returncode == 0
    assert "loopback/echo" in result.stdout  # what is reachable is listed
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr
    assert line.startswith("not running here: vllm 127.0.0.1:%d, llamacpp 127.0.0.1:%d, lmstudio 127.0.0.1:%d" % (ports["vllm"], ports["llamacpp"], ports["lmstudio"]))
    assert f"litellm 127.0.0.1:{ports['litellm']} (litellm answered 500" in line and "--refresh" in line


def test_refresh_explains_each_server_that_could_not_list(tmp_path):
    with local_servers_not_running() as ports:
        with_servers(tmp_path, ports)
        result = run_rtchat(tmp_path, "models", "--refresh")
    lines = result.stderr.splitlines()
    for name in ("vllm", "llamacpp", "lmstudio"):
        assert f"rtchat: could not list {name}'s models at 127.0.0.1:{ports[name]}: nothing is listening there; start it, or set [providers.{name}] base_url" in lines
    assert any(line.startswith(f"rtchat: could not list litellm's models at 127.0.0.1:{ports['litellm']}: litellm answered 500") for line in lines)

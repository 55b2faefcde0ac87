"""Real server processes for the interop suite, and `rtchat ask` runs against them.

Every server listens on 127.0.0.1 on a port picked here, gets a bounded wait for
readiness (its health or models endpoint polled with a deadline), and is killed with
its whole process group at teardown, pass or fail."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.env import isolated_env, rtchat_cmd

REPO = Path(__file__).resolve().parents[2]
POLL_INTERVAL = 0.1  # seconds between readiness probes (a poll interval, not a synchronisation)
# Credentials a server process must never see (LiteLLM would use them for real providers).
PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "DEEPSEEK_API_KEY",
                 "OPENROUTER_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "AZURE_API_KEY", "LITELLM_MASTER_KEY")
VERSIONS: dict[str, str] = {}  # server -> the package versions it ran with, for the pass table


def record_versions(server: str, python: Path, *packages: str) -> None:
    """Ask the server's own virtualenv which versions it holds."""
    code = "import importlib.metadata as m, sys; print(', '.join(f'{p} {m.version(p)}' for p in sys.argv[1:]))"
    result = subprocess.run([str(python), "-c", code, *packages], capture_output=True, text=True, timeout=60)
    VERSIONS[server] = result.stdout.strip() or f"unknown ({result.stderr.strip()[-200:]})"


def installed_bin(label: str, skip_var: str, bin_var: str, folder: str, program: str) -> Path:
    """The bin folder of a server's virtualenv made by scripts/interop, or a skip that says why it is not there."""
    reason = os.environ.get(skip_var)
    if reason:
        pytest.skip(f"{label}: {reason}")
    path = Path(os.environ.get(bin_var, REPO / ".interop" / folder / "bin"))
    if not (path / program).exists():
        pytest.skip(f"{label} is not installed in {path} (scripts/interop installs it)")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sentinel:
    """A stand-in HTTP proxy on 127.0.0.1 for the servers under test: it forwards nothing, refuses every
    request with 403, and writes down each request line. Every address a server tries beyond 127.0.0.1
    (a price list, telemetry, a model hub) lands here instead of in DNS and on the internet."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.seen: list[str] = []
        threading.Thread(target=self._serve, name="sentinel-proxy", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.seen.append(conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    self.seen.append("(a connection that sent nothing)")

    def close(self) -> None:
        self._sock.close()

    def env(self) -> dict[str, str]:
        env = {}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = self.url
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        return env


def server_env(sentinel: Sentinel, **extra: str) -> dict[str, str]:
    """The environment of a server under test: no provider keys, no rtchat dirs, every proxy the sentinel."""
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_KEYS and not k.startswith("RTCHAT_")}
    env.update(sentinel.env())
    env.update(extra)
    return env


class Server:
    """One server process: started, polled until `ready_url` answers 200, stopped with its process group."""

    def __init__(self, name: str, argv: list[str], *, ready_url: str, log_path: Path, env: dict[str, str],
                 within: float, cwd: Path | None = None) -> None:
        self.name, self.argv, self.ready_url, self.log_path = name, argv, ready_url, log_path
        self.env, self.within, self.cwd = env, within, cwd
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_ready(self) -> None:
        started = time.monotonic()
        deadline = started + self.within
        with httpx.Client(trust_env=False, timeout=5) as client:
            while True:
                code = self.proc.poll()
                if code is not None:
                    raise RuntimeError(f"{self.name} exited with {code} before it was ready; its log:\n{self.log_tail()}")
                try:
                    if client.get(self.ready_url).status_code == 200:
                        self.ready_after = time.monotonic() - started
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready within {self.within} s at {self.ready_url}; its log:\n{self.log_tail()}")
                time.sleep(POLL_INTERVAL)

    def stop(self) -> None:
        proc = self.proc
        if proc is not None:
            # The group this Popen started (start_new_session), even when its leader has already gone:
            # workers it forked must not outlive the test.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if not self._log.closed:
            self._log.close()


def loopback_server(tmp: Path) -> Server:
    """`rtchat serve`, rtchat's own reference server, as a backend for the gateway under test."""
    port = free_port()
    return Server("rtchat serve", [sys.executable, "-m", "rtchat", "serve", "--host", "127.0.0.1", "--port", str(port)],
                  ready_url=f"http://127.0.0.1:{port}/v1/models", log_path=tmp / "loopback.log",
                  env=isolated_env(tmp / "loopback-home"), within=30)


# ------------------------------------------------------------------ rtchat ask


@dataclass
class Ask:
    returncode: int
    events: list[dict]
    stderr: str
    wire_log: Path | None = None
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, url, body) as rtchat sent them

    def text(self) -> str:
        return "".join(e["text"] for e in self.events if e["type"] == "text")

    def thinking(self) -> str:
        return "".join(e["text"] for e in self.events if e["type"] == "thinking")

    def usage(self, *keys: str) -> dict | None:
        usage = next((e for e in reversed(self.events) if e["type"] == "usage"), None)  # the last count is the total
        return {k: usage[k] for k in keys} if usage and keys else usage

    def error(self) -> dict | None:
        return next((e for e in self.events if e["type"] == "error"), None)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


def read_wire_requests(log: Path) -> list[tuple[str, str, dict]]:
    """The requests in a `--debug` wire log: `request   POST URL headers={...} body={...}` (Python reprs)."""
    requests = []
    for line in log.read_text().splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[2] != "request":
            continue
        method, rest = parts[3].split(" ", 1)
        url, rest = rest.split(" headers=", 1)
        body = ast.literal_eval(rest.split(" body=", 1)[1])
        requests.append((method, url, body))
    return requests


def ask(home: Path, *args: str, timeout: float = 120, history: bool = False, **env: str) -> Ask:
    """`rtchat ask --jsonl --debug --no-history ARGS` as a real process with its own dirs; the wire log read back.
    `history`: the turn is stored (so a later `--continue` in the same `home` finds it)."""
    flags = ("--jsonl", "--debug") if history else ("--jsonl", "--debug", "--no-history")
    result = subprocess.run(rtchat_cmd("ask", *flags, *args), env=isolated_env(home, **env),
                            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    logs = sorted((home / "state" / "logs").glob("wire-*.log"))
    wire = logs[-1] if logs else None
    return Ask(result.returncode, events, result.stderr, wire, read_wire_requests(wire) if wire else [])


SOCKET_FRAME = re.compile(r"^\s*[\d.]+ ms  ws (sent|received)\s+(\{.*)$")


def socket_frames(log: Path, direction: str) -> list[dict]:
    """The JSON frames a `--debug` wire log shows going one way over a socket (`ws sent {...}`)."""
    frames = []
    for line in log.read_text().splitlines():
        match = SOCKET_FRAME.match(line)
        if match and match.group(1) == direction:
            frames.append(json.loads(match.group(2)))
    return frames


@dataclass
class RealtimeTruth:
    text: str
    usage: dict | None
    errors: list[str]
    types: list[str]


def realtime_replay(url: str, frames: list[dict], headers: dict[str, str], within: float = 60) -> RealtimeTruth:
    """Open the server's Realtime socket with its own client (aiohttp, not rtchat's), send the very frames
    rtchat sent, and read what comes back until the response is done (or the socket closes)."""
    import asyncio

    import aiohttp

    async def run() -> RealtimeTruth:
        text, errors, types, usage = [], [], [], None
        async with aiohttp.ClientSession(trust_env=False) as session:
            async with session.ws_connect(url, headers=headers, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as socket:
                for frame in frames:
                    await socket.send_str(json.dumps(frame))
                async for message in socket:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    event = json.loads(message.data)
                    types.append(event["type"])
                    if event["type"] in ("response.output_text.delta", "response.text.delta"):
                        text.append(event["delta"])
                    elif event["type"] == "error":
                        errors.append(event["error"]["message"])
                    elif event["type"] == "response.done":
                        u = event["response"].get("usage")
                        usage = {"input_tokens": u["input_tokens"], "output_tokens": u["output_tokens"]} if u else None
                        break
        return RealtimeTruth("".join(text), usage, errors, types)

    return asyncio.run(asyncio.wait_for(run(), within))


def interrupt(home: Path, *args: str, after_texts: int = 3, **env: str) -> Ask:
    """`rtchat ask --jsonl ARGS`, SIGINT once it has printed `after_texts` text events; every event read back."""
    proc = subprocess.Popen(rtchat_cmd("ask", "--jsonl", "--no-history", *args), env=isolated_env(home, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # blocks until rtchat prints: the event itself is the signal
            if not line:
                break
            lines.append(line)
            if sum('"type": "text"' in item for item in lines) >= after_texts:
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    events = [json.loads(line) for line in lines + rest.splitlines() if line.strip()]
    return Ask(proc.returncode, events, err)


def assert_interrupted(run: Ask) -> None:
    """What SIGINT mid-stream must leave: exit 130, the turn done as interrupted, the partial answer kept."""
    assert run.returncode == 130, run.stderr
    assert run.events[-1] == {"type": "done", "reason": "interrupted"}
    assert sum(1 for e in run.events if e["type"] == "text") >= 3 and run.text().strip()
    assert "Traceback" not in run.stderr


# ------------------------------------------------------------------ the server's own bytes


def replay(url: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """POST the very body rtchat sent, read the raw bytes back: (status, content type, bytes)."""
    with httpx.Client(trust_env=False, timeout=120) as client:
        with client.stream("POST", url, json=body, headers=headers or {}) as response:
            raw = b"".join(response.iter_raw())
            return response.status_code, response.headers.get("content-type", ""), raw


def replayed(run: Ask, url: str, truth: Callable[[bytes], tuple[str, dict | None]], headers: dict[str, str] | None = None) -> tuple[dict, bytes]:
    """rtchat's one streamed POST, which must have gone to `url`, sent again: (the body rtchat sent, the
    server's raw bytes for it), once rtchat's text, and its usage where the stream has one, are checked
    to be what those bytes say (`truth` reads them: `chat_truth`, `responses_truth`)."""
    assert run.returncode == 0, run.stderr
    (method, sent_to, body), = run.requests
    assert (method, sent_to, body["stream"]) == ("POST", url, True)
    status, ctype, raw = replay(url, body, headers)
    assert status == 200 and ctype.startswith("text/event-stream"), (status, raw[:300])
    text, usage = truth(raw)
    assert text.strip() and run.text() == text
    if usage is not None:
        assert run.usage("input_tokens", "output_tokens") == usage
    return body, raw


def finish_reasons(raw: bytes) -> list[str]:
    """The finish reasons a Chat Completions SSE body gives, in order."""
    return [c["finish_reason"] for _, d in sse(raw) for c in json.loads(d)["choices"] if c.get("finish_reason")]


def sse(raw: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) per SSE event; a minimal reader of its own, independent of rtchat's."""
    events = []
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    for block in text.split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data and "\n".join(data).strip() != "[DONE]":  # LiteLLM ends even Responses streams with [DONE]
            events.append((name, "\n".join(data)))
    return events


def chat_truth(raw: bytes) -> tuple[str, dict | None]:
    """Text and (prompt, completion) usage from a Chat Completions SSE body."""
    text, usage = [], None
    for _, data in sse(raw):
        if data.strip() == "[DONE]":
            continue
        chunk = json.loads(data)
        if "error" in chunk:
            raise AssertionError(f"the server's stream carries an error: {chunk['error']}")
        for choice in chunk.get("choices") or []:
            text.append((choice.get("delta") or {}).get("content") or "")
        if chunk.get("usage"):
            usage = {"input_tokens": chunk["usage"]["prompt_tokens"], "output_tokens": chunk["usage"]["completion_tokens"]}
    return "".join(text), usage


def messages_truth(raw: bytes) -> tuple[str, dict | None]:
    """Text and usage from an Anthropic Messages SSE body. Anthropic's input total is fresh + cache read + cache written."""
    text, usage = [], {}
    for _, data in sse(raw):
        event = json.loads(data)
        if event.get("type") == "message_start":
            usage.update(event["message"].get("usage") or {})
        elif event.get("type") == "content_block_delta" and event["delta"].get("type") == "text_delta":
            text.append(event["delta"]["text"])
        elif event.get("type") == "message_delta" and event.get("usage"):
            usage.update({k: v for k, v in event["usage"].items() if v is not None})
    return "".join(text), anthropic_usage(usage) if usage else None


def anthropic_usage(usage: dict) -> dict:
    read = usage.get("cache_read_input_tokens") or 0
    total = (usage.get("input_tokens") or 0) + read + (usage.get("cache_creation_input_tokens") or 0)
    return {"input_tokens": total, "output_tokens": usage.get("output_tokens"), "cached_tokens": read}


def responses_truth(raw: bytes) -> tuple[str, dict | None]:
    """Text and usage from an OpenAI Responses SSE body."""
    text, usage = [], None
    for _, data in sse(raw):
        event = json.loads(data)
        if event.get("type") == "response.output_text.delta":
            text.append(event["delta"])
        elif event.get("type") in ("response.completed", "response.incomplete") and event["response"].get("usage"):
            u = event["response"]["usage"]
            usage = {"input_tokens": u["input_tokens"], "output_tokens": u["output_tokens"]}
    return "".join(text), usage


def chat_reasoning(raw: bytes) -> str:
    """Reasoning text from a Chat Completions SSE body (`reasoning_content` or `reasoning`)."""
    parts = []
    for _, data in sse(raw):
        if data.strip() == "[DONE]":
            continue
        for choice in json.loads(data).get("choices") or []:
            delta = choice.get("delta") or {}
            parts.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
    return "".join(parts)


def chat_usage_with_cache(raw: bytes) -> dict | None:
    """Chat Completions usage with `prompt_tokens_details.cached_tokens` (0 when the server leaves it out)."""
    usage = None
    for _, data in sse(raw):
        if data.strip() != "[DONE]" and json.loads(data).get("usage"):
            u = json.loads(data)["usage"]
            usage = {"input_tokens": u["prompt_tokens"], "output_tokens": u["completion_tokens"],
                     "cached_tokens": (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0}
    return usage


def responses_usage_with_cache(raw: bytes) -> dict | None:
    usage = None
    for _, data in sse(raw):
        event = json.loads(data)
        if event.get("type") in ("response.completed", "response.incomplete") and event["response"].get("usage"):
            u = event["response"]["usage"]
            usage = {"input_tokens": u["input_tokens"], "output_tokens": u["output_tokens"],
                     "cached_tokens": (u.get("input_tokens_details") or {}).get("cached_tokens") or 0}
    return usage

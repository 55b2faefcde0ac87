"""A one-trick OpenAI-compatible server on 127.0.0.1: every POST gets the same canned SSE body.

For `rtchat ask` runs in a subprocess that need a frame the loopback does not
script (usage with NaN, say): a real socket, a real HTTP response, no mocks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def chat_frames(*chunks: str) -> bytes:
    """SSE `data:` frames for the given JSON texts, then `[DONE]`."""
    return b"".join(f"data: {chunk}\n\n".encode() for chunk in (*chunks, "[DONE]"))


@contextmanager
def canned_sse(body: bytes) -> Iterator[str]:
    """Serve `body` as text/event-stream to every POST; yields the base URL (with /v1)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def canned_provider_config(config_dir: Path, base_url: str) -> None:
    """A config naming the canned server as provider `canned` (no key, plain http on loopback)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(
        f'[providers.canned]\nbase_url = "{base_url}"\nneeds_key = false\nmodels = ["m"]\n', encoding="utf-8"
    )

"""`rtchat web` under test: the server as a process, Debian's Chromium through Playwright, the tab's screen.

Shared by tests/test_web*.py and benchmarks/bench_web.py. The browser is the system's
/usr/bin/chromium (installed by scripts/test as root); Playwright never downloads one.
"""

from __future__ import annotations

import http.server
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.env import in_the_foreground, isolated_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
URL_LINE = re.compile(r"rtchat web: open (\S+)")

# Run in the page before its own scripts: textual.js keeps its terminal client in a closure, so the
# client is caught as it sets its first own property (`websocket_url`, a name only it uses), for
# the tests to read the screen from xterm's buffer (the canvas shows no text to a locator).
SCREEN_HOOK = """
Object.defineProperty(Object.prototype, "websocket_url", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "websocket_url", { value, writable: true, configurable: true, enumerable: true });
    window.rtchatClient = this;
  },
});
window.rtchatScreen = () => {
  const client = window.rtchatClient;
  if (!client) return "";
  const buffer = client.terminal.buffer.active;
  const rows = [];
  for (let y = 0; y < client.terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
};
// What the tests wait on: xterm's count of parsed writes, read with the screen, and a promise of
// the next write after a count seen (or of `ms` passing), so a test wakes when the screen changes.
window.rtchatWrites = 0;
window.rtchatWaiters = [];
window.rtchatSeen = () => {
  const client = window.rtchatClient;
  if (client && client.terminal && !client.rtchatCounted) {
    client.rtchatCounted = true;
    client.terminal.onWriteParsed(() => {
      window.rtchatWrites++;
      for (const wake of window.rtchatWaiters.splice(0)) wake();
    });
  }
  return [window.rtchatWrites, window.rtchatScreen()];
};
window.rtchatChanged = ([seen, ms]) => new Promise((resolve) => {
  if (window.rtchatWrites !== seen) return resolve();
  const counted = window.rtchatClient && window.rtchatClient.rtchatCounted;
  setTimeout(resolve, counted ? ms : Math.min(ms, 50));  // before xterm is there: look again soon
  window.rtchatWaiters.push(resolve);
});
"""


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@dataclass
class WebServer:
    """A running `rtchat web` process and the URL it printed."""

    process: subprocess.Popen
    url: str
    lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def key(self) -> str:
        return self.url.split("key=", 1)[1]

    def stop(self) -> str:
        """SIGINT (Ctrl+C), then what it printed after the URL."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        rest = self.process.stdout.read() if self.process.stdout else ""
        return rest


def start_web(tmp_path: Path, *args: str, **env: str) -> WebServer:
    """`rtchat web --port 0 ARGS` in an isolated environment, once it has printed its URL."""
    return start_server([sys.executable, "-m", "rtchat", "web", "--port", "0", *args], tmp_path, **env)


def start_server(command: list[str], tmp_path: Path, **env: str) -> WebServer:
    """A process that prints `rtchat web: open URL` once it serves, in an isolated environment."""
    process = subprocess.Popen(
        command, env=isolated_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", **env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=in_the_foreground,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:  # the server prints its URL once bound; a failure ends the output
        lines.append(line)
        if match := URL_LINE.search(line):
            return WebServer(process, match.group(1), lines)
    process.wait()
    raise AssertionError(f"{command[-1]!r} printed no URL (exit {process.returncode}):\n{''.join(lines)}")


def screen(page) -> str:
    return page.evaluate("window.rtchatScreen()")


def wait_screen(page, predicate, timeout: float = 60.0, what: str = "") -> str:
    """The tab's screen once `predicate(text)` holds, looked at again each time xterm has parsed
    more of the app's output (SCREEN_HOOK's `rtchatChanged`), not on a timer."""
    deadline = time.monotonic() + timeout
    while True:
        seen, text = page.evaluate("window.rtchatSeen()")
        if predicate(text):
            return text
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the tab's screen never showed {what or predicate}; last screen:\n{text}")
        page.evaluate("(waiting) => window.rtchatChanged(waiting)", [seen, int(left * 1000) + 1])


def poll(condition, within: float = 60.0, what: str = "") -> None:
    """Check `condition` until it holds (a process's end, seen in /proc, offers nothing to wait on)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what or condition}")
        time.sleep(0.05)  # the poll interval


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc): a tab's app is a child of the server."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "children").read_text().split()
        except FileNotFoundError:  # the thread ended between the listing and the read
            continue
        found += [int(child) for child in text]
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0




class _BlankPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"<!DOCTYPE html><title>another site</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@contextmanager
def another_origin() -> Iterator[str]:
    """A real web server on another 127.0.0.1 port serving a blank page: the origin of a page
    the user happens to visit. Yields its origin."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="another-origin")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

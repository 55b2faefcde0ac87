"""`rtchat web` in Debian's Chromium: page load to first screen, keystroke to echo, memory per tab.

Each round opens a fresh tab (a new browser context, so a new app process) on one `rtchat web`
server serving `loopback/endless@rate=100` (an answer that streams at 100 tokens/s until
stopped), and measures:

- load: from `page.goto` of the printed URL (key, redirect, page, client, WebSocket, the app's
  start) to the app's first screen (its input box in xterm's buffer), and to the model ready
  (status line "idle");
- echo: a key handed to xterm (`terminal.input`, the path a typed key takes) to the moment the
  bytes that show it in the input box are parsed by xterm, timed in the page
  (`performance.now`). The floor is the same with nothing streaming, in the same tab, before
  the answer starts; then the same while the 100 tok/s answer streams;
- memory: the resident set of the tab's app process (/proc) once ready and after streaming.

The floor of load and memory: the smallest Textual app (an input and a footer) behind the same
server and page, rounds alternating with rtchat's.

Figures are medians over rounds of each round's p50/p95 (echo) or value (load, memory).

    python benchmarks/bench_web.py [--rounds 5] [--keys 30] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import describe, write_json  # noqa: E402
from tests.support.web import SCREEN_HOOK, children, launch_chromium, rss_bytes, start_server, start_web  # noqa: E402

MODEL = "loopback/endless@rate=100"
# The load floor: the smallest Textual app (an input and a footer) behind the same server and page.
BARE_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Footer, Input\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Input(placeholder='Message the floor')\n"
    "        yield Footer()\n"
    "Bare().run()\n"
)
FLOOR_SERVER = (
    "import sys\n"
    "from rtchat.web.address import plan_listen\n"
    "from rtchat.web.guard import new_secret\n"
    "from rtchat.web.server import WebServer, serve\n"
    f"server = WebServer([sys.executable, '-c', {BARE_APP!r}], plan_listen('127.0.0.1', 0), new_secret(), 8)\n"
    "serve(server, lambda url: print('rtchat web: open ' + url, flush=True))\n"
)
PREFIX = "zqz"  # typed first, unmeasured: the typed text then appears nowhere but the input box

# In the page: hand `key` to xterm as a typed key and resolve with the ms until the screen holds
# `expected` (checked each time xterm has parsed bytes from the app).
ECHO = """
([key, expected]) => new Promise((resolve) => {
  const terminal = window.rtchatClient.terminal;
  const start = performance.now();
  const listener = terminal.onWriteParsed(() => {
    if (window.rtchatScreen().includes(expected)) {
      listener.dispose();
      resolve(performance.now() - start);
    }
  });
  terminal.input(key, true);
})
"""


def screen_has(page, text: str, timeout_ms: float = 60_000) -> None:
    page.wait_for_function("(text) => window.rtchatScreen && window.rtchatScreen().includes(text)", arg=text, polling="raf", timeout=timeout_ms)


def echoes(page, keys: int, typed: str) -> tuple[list[float], str]:
    """`keys` letters typed one after another (each after the last one showed), ms each."""
    samples = []
    for index in range(keys):
        typed += "abcdefghijklmnopqrstuvwxy"[index % 25]
        samples.append(page.evaluate(ECHO, [typed[-1], typed]))
        page.wait_for_timeout(30)  # a person's typing pace: keys do not queue behind each other
    return samples, typed


def open_tab(browser, server, first: str):
    """A fresh tab on `server`: its context, page, app process id, when `goto` began, and the
    seconds from then to the screen showing `first`."""
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    context.add_init_script(SCREEN_HOOK)
    page = context.new_page()
    before = set(children(server.process.pid))
    start = time.perf_counter()
    page.goto(server.url)
    screen_has(page, first)
    seconds = time.perf_counter() - start
    [app] = set(children(server.process.pid)) - before
    return context, page, app, start, seconds


def one_round(browser, server, keys: int) -> dict:
    context, page, app, start, first_screen = open_tab(browser, server, "Message rtchat")
    screen_has(page, "· idle ·")
    ready = time.perf_counter() - start
    rss_ready = rss_bytes(app)

    for letter in PREFIX:
        page.keyboard.type(letter)
    screen_has(page, PREFIX)
    floor, typed = echoes(page, keys, PREFIX)
    page.keyboard.press("Control+u")  # the input emptied: the prompt goes out next
    page.keyboard.type("stream for the benchmark")
    page.keyboard.press("Enter")
    screen_has(page, "tok/s")  # the status line's live rate: the answer is streaming
    page.wait_for_timeout(1000)  # a second of answer on screen before measuring
    for letter in PREFIX:
        page.keyboard.type(letter)
    screen_has(page, PREFIX)
    streaming, _ = echoes(page, keys, PREFIX)
    rss_streaming = rss_bytes(app)
    page.keyboard.press("Control+c")
    context.close()
    return {
        "first_screen_s": first_screen, "ready_s": ready,
        "echo_floor_ms": describe(floor), "echo_streaming_ms": describe(streaming),
        "rss_ready_mb": rss_ready / 2**20, "rss_streaming_mb": rss_streaming / 2**20,
    }


def floor_round(browser, server) -> dict:
    """The bare app's first screen and memory, the same way as rtchat's."""
    context, _page, app, _start, first_screen = open_tab(browser, server, "Message the floor")
    rss = rss_bytes(app)
    context.close()
    return {"first_screen_s": first_screen, "rss_mb": rss / 2**20}


def median_of(rounds: list[dict], key: str, part: str | None = None) -> float:
    values = [r[key][part] if part else r[key] for r in rounds]
    return round(statistics.median(values), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keys", type=int, default=30, help="measured keystrokes per round, each of floor and streaming")
    parser.add_argument("--json")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright  # deferred: only when the bench runs

    with tempfile.TemporaryDirectory(prefix="bench-web-") as home:
        server = start_web(Path(home), "-m", MODEL)
        floor_server = start_server([sys.executable, "-c", FLOOR_SERVER], Path(home))
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                rounds, floors = [], []
                for _ in range(args.rounds):  # alternating: the machine's load falls on both alike
                    floors.append(floor_round(browser, floor_server))
                    rounds.append(one_round(browser, server, args.keys))
                browser.close()
        finally:
            server.stop()
            floor_server.stop()
    summary = {
        "rounds": args.rounds, "keys_per_round": args.keys, "model": MODEL,
        "first_screen_s": median_of(rounds, "first_screen_s"), "ready_s": median_of(rounds, "ready_s"),
        "floor_first_screen_s": median_of(floors, "first_screen_s"), "floor_rss_mb": median_of(floors, "rss_mb"),
        "echo_floor_p50_ms": median_of(rounds, "echo_floor_ms", "median"), "echo_floor_p95_ms": median_of(rounds, "echo_floor_ms", "p95"),
        "echo_streaming_p50_ms": median_of(rounds, "echo_streaming_ms", "median"), "echo_streaming_p95_ms": median_of(rounds, "echo_streaming_ms", "p95"),
        "rss_ready_mb": median_of(rounds, "rss_ready_mb"), "rss_streaming_mb": median_of(rounds, "rss_streaming_mb"),
    }
    print(json.dumps(summary, indent=2))
    write_json(args.json, {"summary": summary, "rounds": rounds, "floors": floors})


if __name__ == "__main__":
    main()

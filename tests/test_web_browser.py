"""`rtchat web` in a real Chromium (Debian's /usr/bin/chromium through Playwright): what a person
in a browser tab sees, and that the tab fetches nothing from anywhere but this machine.

The screen is read from xterm.js's buffer (tests/support/web.py `SCREEN_HOOK`): the canvas
the terminal draws on holds no text a locator could read. One browser per pytest worker; each
test has its own browser context, and each page its own app process. The tests share one
`rtchat web` server per model (what a test changes in its config is put back after it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rtchat.web.guard import cookie_name
from tests.support.env import REPO, run_rtchat, write_config
from tests.support.web import CHROMIUM, SCREEN_HOOK, WebServer, another_origin, children, launch_chromium, poll, screen, start_web, wait_screen

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (scripts/test installs Debian's chromium as root)")

# The README's picture of a tab: rewritten only on request (RTCHAT_SAVE_SCREENSHOTS=1), so a test
# run leaves the checkout as it found it; otherwise the shot goes to the test's own directory.
SCREENSHOT = REPO / "screenshots" / "web.png"
VIEWPORT = {"width": 1100, "height": 700}
LOCAL = {"127.0.0.1"}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # deferred: only where Chromium is there to drive

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@dataclass
class Served:
    """A running `rtchat web` and the folder its config and history are under."""

    server: WebServer
    home: Path


def serve(tmp_path_factory, model: str):
    """`rtchat web -m MODEL` for a module's tests: tabs of earlier tests may still be ending as the
    next opens, so it allows more tabs at once than the default 4."""
    home = tmp_path_factory.mktemp("web")
    write_config(home, "[web]\nmax_sessions = 16\n")  # read by the server at its start only
    served = Served(start_web(home, "-m", model), home)
    yield served
    served.server.stop()


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory):
    yield from serve(tmp_path_factory, "loopback/echo")


@pytest.fixture(scope="module")
def endless_server(tmp_path_factory):
    yield from serve(tmp_path_factory, "loopback/endless@rate=100")


class Tab:
    """A browser context on one `rtchat web` server; every request it makes is recorded, and any
    to a host other than this machine is blocked."""

    def __init__(self, browser, served: Served) -> None:
        self.server = served.server
        self.home = served.home
        self.apps: list[int] = []  # each opened page's app process, in order
        self.elsewhere: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.add_init_script(SCREEN_HOOK)
        self.context.route("**/*", self._route)
        self.sockets: list[str] = []

    def _route(self, route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def open(self):
        """A new page on the printed URL, once the app is up: its input box, the footer's keys, and
        its model ready (the status line's "idle": before that, the app drops a key such as F4 that
        needs the model). The page started one app process of its own (`apps`)."""
        before = set(children(self.server.process.pid))  # an earlier test's app may still be ending
        page = self.context.new_page()
        page.on("websocket", lambda socket: self.sockets.append(socket.url))
        page.goto(self.server.url)
        wait_screen(page, lambda text: "Message rtchat" in text and "· idle ·" in text, what="the app's input box and its model ready")
        # The page gives the terminal the focus on load, before the app is up: the app must take
        # that, not the web driver's start-up blur, as the last word (else the footer stayed blank).
        wait_screen(page, lambda text: "^q Quit" in text.splitlines()[-1], what="the footer's keys")
        [app] = set(children(self.server.process.pid)) - before
        self.apps.append(app)
        return page

    def sign_in(self) -> None:
        """The cookie the printed URL sets, in this browser, with no page (so no app) opened."""
        response = self.context.request.get(self.server.url, max_redirects=0)
        assert response.status == 303
        assert [cookie["value"] for cookie in self.context.cookies() if cookie["name"] == cookie_name(self.server.key)] == [self.server.key]

    def page_alone(self):
        """The server's page, its own script run, without textual.js: no terminal, so no socket and
        no app of its own (for a test that opens the page's sockets itself)."""
        self.context.route("**/static/js/textual.js", lambda route: route.abort())
        page = self.context.new_page()
        page.goto(self.server.url)
        assert page.url == self.server.base + "/"
        return page

    def close(self) -> None:
        self.context.close()


def tab_on(browser, served: Served):
    """A recorded browser context on a module's server. A config the test changed (a protocol
    remembered, [keys]) is put back once its apps have ended, before the next test's apps start."""
    config = served.home / "config" / "config.toml"
    kept = config.read_bytes()
    tab = Tab(browser, served)
    yield tab
    tab.close()
    if config.read_bytes() != kept:
        poll(lambda: not any(Path(f"/proc/{app}").exists() for app in tab.apps), what="this test's apps to end")
        config.write_bytes(kept)


@pytest.fixture
def echo_tab(browser, echo_server):
    yield from tab_on(browser, echo_server)


@pytest.fixture
def endless_tab(browser, endless_server):
    yield from tab_on(browser, endless_server)


def status_line(text: str) -> str:
    return next(row for row in text.splitlines() if "effort" in row and "·" in row)


def test_a_prompt_typed_in_the_tab_streams_its_answer_and_no_request_leaves_the_machine(echo_tab, tmp_path):
    tab = echo_tab
    page = tab.open()
    assert page.url == tab.server.base + "/"  # the key left the address bar
    assert "xterm-helper-textarea" in page.evaluate("document.activeElement.className")  # the terminal has the keys
    page.keyboard.type("hello from the browser")  # no click first: the page focused the terminal
    page.keyboard.press("Enter")
    # The answer's last words can be on screen a frame before its Done: wait for both.
    text = wait_screen(page, lambda text: "4 words, 22 characters." in text and "done" in status_line(text), what="the echoed answer")
    assert text.count("hello from the browser") == 2  # the prompt and the answer repeating it
    assert page.evaluate("document.fonts.check(\"16px 'Roboto Mono'\")")  # the terminal's font, from this server
    shot = SCREENSHOT if os.environ.get("RTCHAT_SAVE_SCREENSHOTS") == "1" else tmp_path / "web.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000  # a picture of the screen, not a blank page
    assert tab.elsewhere == []
    assert [urlsplit(url).hostname for url in tab.sockets] == ["127.0.0.1"]


def test_ctrl_c_in_the_tab_stops_the_answer_and_marks_it_interrupted(endless_tab):
    page = endless_tab.open()
    page.keyboard.type("go on forever")
    page.keyboard.press("Enter")
    wait_screen(page, lambda text: "streaming" in status_line(text) or "tok/s" in status_line(text), what="the answer streaming")
    page.keyboard.press("Control+c")
    text = wait_screen(page, lambda text: "interrupted" in status_line(text), what="the answer marked interrupted")
    assert "interrupted" in text.split("go on forever", 1)[1]


def test_the_model_picker_opens_on_its_key(echo_tab):
    page = echo_tab.open()
    page.keyboard.press("Control+o")
    text = wait_screen(page, lambda text: "Model — type to filter" in text, what="the model picker")
    assert "loopback/lorem" in text


def test_a_browser_safe_key_switches_the_protocol(echo_tab):
    # F4 (the protocol picker): F-keys reach the page in Chromium, where ctrl+n would open a window.
    page = echo_tab.open()
    assert "SSE" in status_line(screen(page))
    page.keyboard.press("F4")
    wait_screen(page, lambda text: "Protocol for loopback/echo" in text, what="the protocol picker")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    text = wait_screen(page, lambda text: "Protocol for" not in text and "SSE" not in status_line(text), what="another protocol")
    assert "WebSocket" in status_line(text)


def test_leaving_a_tab_with_a_session_asks_first_and_closing_it_ends_its_app(echo_tab):
    tab = echo_tab
    page = tab.open()
    page.keyboard.type("x")  # a person's key press: Chromium asks before unload only on a page used
    [app] = tab.apps
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert asked == ["beforeunload"]
    poll(lambda: not Path(f"/proc/{app}").exists(), what="the closed tab's app to end")  # asked to quit, it did


def test_two_tabs_write_to_the_one_history(echo_tab):
    tab = echo_tab
    first, second = tab.open(), tab.open()
    assert len(set(tab.apps)) == 2  # one app process per tab
    for page, prompt in ((first, "first tab speaking"), (second, "second tab speaking")):
        page.keyboard.type(prompt)
        page.keyboard.press("Enter")
    for page, prompt in ((first, "first tab speaking"), (second, "second tab speaking")):
        wait_screen(page, lambda text, prompt=prompt: text.count(prompt) == 2 and "done" in status_line(text), what=f"{prompt!r} answered")
    listed = run_rtchat(tab.home, "history", "--json")
    rows = [row for row in json.loads(listed.stdout) if row["title"].endswith(" tab speaking")]  # the server's other tests wrote others
    assert sorted(row["title"] for row in rows) == ["first tab speaking", "second tab speaking"]
    assert all(row["messages"] == 2 for row in rows)


def test_a_tab_closed_mid_answer_keeps_the_partial_answer_in_the_history(endless_tab):
    tab = endless_tab
    page = tab.open()
    [app] = tab.apps
    # An earlier test's app still ending could write its conversation after this one: "last" below.
    poll(lambda: children(tab.server.process.pid) == [app], what="the server's other tabs' apps to end")
    page.keyboard.type("keep what came")
    page.keyboard.press("Enter")
    shown = wait_screen(page, lambda text: "Lorem Ipsum" in text and "tok/s" in status_line(text), what="the answer streaming")
    page.close()  # no question asked: as a browser that is killed, or a tab closed anyway
    poll(lambda: not Path(f"/proc/{app}").exists(), what="the closed tab's app to end")
    exported = json.loads(run_rtchat(tab.home, "export", "last", "--format", "json").stdout)
    prompt, answer = exported["messages"]
    assert prompt["text"] == "keep what came"
    assert answer["status"] == "interrupted" and answer["text"].startswith("# Lorem Ipsum: A Loopback Document")
    assert "Lorem Ipsum" in shown  # what streamed on screen (its heading may have scrolled off by then)


def test_a_page_of_another_origin_in_the_same_browser_cannot_open_a_session(echo_tab):
    # The attack of issue 28: a page the user visits opens ws://127.0.0.1:PORT/ws. Another port of
    # 127.0.0.1 is the same *site*, so the browser even sends the Strict cookie: the Origin check stops it.
    tab = echo_tab
    tab.sign_in()  # as the user's own tab did: the browser holds the cookie
    apps = set(children(tab.server.process.pid))  # an earlier test's may still be ending
    evil = tab.context.new_page()
    with another_origin() as origin:
        evil.goto(f"{origin}/page")
        outcome = evil.evaluate(
            """(url) => new Promise((resolve) => {
                const socket = new WebSocket(url);
                socket.onopen = () => resolve("open");
                socket.onclose = (event) => resolve("closed " + event.code);
            })""",
            tab.server.base.replace("http", "ws", 1) + "/ws?width=80&height=24",
        )
    assert outcome == "closed 1006"  # the handshake was refused (403): never open
    assert set(children(tab.server.process.pid)) <= apps  # no app started for it


def test_what_the_page_sends_before_its_socket_opens_is_kept_and_sent_once_open(echo_tab):
    # textual.js sends a typed key on a socket that may still be connecting (the browser throws
    # it away with an error); the page keeps such messages until the socket opens.
    tab = echo_tab
    page = tab.page_alone()
    reply = page.evaluate(
        """(url) => new Promise((resolve, reject) => {
            const socket = new WebSocket(url);
            socket.onmessage = (event) => {
                if (typeof event.data === "string" && JSON.parse(event.data)[0] === "pong") { resolve(event.data); socket.close(); }
            };
            socket.onclose = () => reject(new Error("closed before the pong"));
            socket.send(JSON.stringify(["ping", "sent while connecting"]));  // readyState is CONNECTING here
        })""",
        tab.server.base.replace("http", "ws", 1) + "/ws?width=80&height=24",
    )
    assert json.loads(reply) == ["pong", "sent while connecting"]


def test_an_app_that_quits_shows_the_session_ended_and_leaving_then_asks_nothing(echo_tab):
    page = echo_tab.open()
    page.keyboard.press("Control+q")
    page.wait_for_selector("body.-closed")
    assert page.get_by_text("This rtchat session has ended.").is_visible()
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert asked == []  # the session is over: nothing to lose


def playwright_key(keys: str) -> str:
    """The first of a binding's keys (Textual's names: "alt+t", "f10") as Playwright presses it."""
    names = {"ctrl": "Control", "alt": "Alt", "shift": "Shift"}
    parts = keys.split(",")[0].strip().split("+")
    return "+".join([names[part] for part in parts[:-1]] + [parts[-1].upper() if parts[-1].startswith("f") else parts[-1]])


def switches_protocol_and_thinking(page, protocol_key: str, thinking_key: str) -> None:
    page.keyboard.type("think first")  # over SSE, where loopback/echo thinks
    page.keyboard.press("Enter")
    wait_screen(page, lambda text: "▶ thought for" in text and "done" in status_line(text), what="the answer with its thinking folded")
    page.keyboard.press(thinking_key)
    wait_screen(page, lambda text: "▼ thought for" in text, what=f"{thinking_key} showing all thinking")
    assert "SSE" in status_line(screen(page))
    page.keyboard.press(protocol_key)
    wait_screen(page, lambda text: "WebSocket" in status_line(text), what=f"{protocol_key} switching to WebSocket")


def test_f10_and_alt_letters_reach_the_app_through_chromium(echo_tab):
    # The keys a tab uses instead of the browser's own (ctrl+n, ctrl+t), set here through [keys]:
    # Chromium hands the page F10 and alt+letters, and xterm.js sends them on.
    write_config(echo_tab.home, '[keys]\ncycle_protocol = "f10"\ntoggle_all_thinking = "alt+t"\n')
    page = echo_tab.open()
    switches_protocol_and_thinking(page, "F10", "Alt+t")


def test_the_tabs_own_browser_safe_keys_switch_protocol_and_show_thinking(echo_tab):
    web_keys = pytest.importorskip("rtchat.ui.web_keys", reason="the app's browser-safe defaults (rtchat/ui/web_keys.py) are not in this tree")
    page = echo_tab.open()
    keys = web_keys.WEB_KEYS
    switches_protocol_and_thinking(page, playwright_key(keys["cycle_protocol"]), playwright_key(keys["toggle_all_thinking"]))

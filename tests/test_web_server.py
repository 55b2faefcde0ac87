"""`rtchat web` over real sockets, without a browser: who gets in, what a tab's app leaves behind.

The server is the real `rtchat web` process; HTTP through httpx, the WebSocket through aiohttp's
client, which lets a test send the Origin a page of another site would send.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp
import httpx
import pytest

from rtchat.web.address import AddressRefused, plan_listen
from rtchat.web.guard import cookie_name
from tests.support.env import run_rtchat, write_config
from tests.support.wait import until
from tests.support.web import children, poll, start_web


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    web = start_web(tmp_path_factory.mktemp("web"))
    yield web
    web.stop()


def signed_in(server) -> httpx.Client:
    """A client that visited the printed URL: it holds the cookie."""
    client = httpx.Client(base_url=server.base)
    assert client.get(server.url).status_code == 303
    return client


def cookie_header(server) -> str:
    return f"{cookie_name(server.key)}={server.key}"


def ws_url(server, width: int = 100, height: int = 30) -> str:
    return f"{server.base.replace('http', 'ws', 1)}/ws?width={width}&height={height}"


async def until_closed(tab: aiohttp.ClientWebSocketResponse, within: float = 60) -> None:
    """Read the tab's screen bytes until the server closes it."""
    async def closed() -> None:
        while (await tab.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            pass

    await asyncio.wait_for(closed(), within)


def environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def test_the_printed_url_sets_an_httponly_strict_cookie_and_redirects_to_the_clean_url(server):
    response = httpx.get(server.url)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookie_name(server.key)}={server.key};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back
    assert server.key not in httpx.get(server.base + "/", cookies={cookie_name(server.key): server.key}).text  # the page never repeats it


@pytest.mark.parametrize("path", ["/", "/static/js/textual.js", "/static/fonts/RobotoMono-VariableFont_wght.ttf", "/ws", "/download/abc", "/nothing"])
def test_every_route_without_the_cookie_answers_403(server, path):
    response = httpx.get(server.base + path)
    assert response.status_code == 403
    assert "`rtchat web` printed" in response.text


def test_a_wrong_key_or_a_wrong_cookie_answers_403(server):
    assert httpx.get(server.base + "/?key=" + "x" * len(server.key)).status_code == 403
    assert httpx.get(server.base + "/", cookies={cookie_name(server.key): "x" * len(server.key)}).status_code == 403
    assert httpx.get(server.base + f"/static/js/textual.js?key={server.key}").status_code == 403  # the key opens the page only


def test_the_page_with_the_cookie_names_only_this_server(server):
    page = signed_in(server).get("/")
    assert page.status_code == 200
    assert "https://" not in page.text and "fonts.googleapis" not in page.text
    assert f'data-session-websocket-url="ws://{server.base.split("://")[1]}/ws"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_request_under_another_host_name_is_refused(server):
    # DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 reaches the port under its own name.
    client = signed_in(server)
    assert client.get("/", headers={"Host": "evil.example" + server.base.rsplit(":", 1)[1]}).status_code == 403
    assert client.get(server.url.replace("127.0.0.1", "localhost")).status_code == 303  # loopback names are this machine's


async def test_a_websocket_from_another_origin_is_refused_even_with_the_cookie(server):
    before = set(children(server.process.pid))  # an earlier test's app may still be ending
    async with aiohttp.ClientSession() as session:
        for origin in ("http://evil.example", "null", server.base.replace("127.0.0.1", "localhost")):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(ws_url(server), origin=origin, headers={"Cookie": cookie_header(server)})
            assert refused.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as no_cookie:
            await session.ws_connect(ws_url(server), origin=server.base)
        assert no_cookie.value.status == 403
    assert set(children(server.process.pid)) <= before  # no app was started for any of them


async def test_a_tab_runs_its_own_app_with_its_own_temp_dir_removed_when_the_tab_closes(server):
    async with aiohttp.ClientSession() as session:
        tab = await session.ws_connect(ws_url(server), origin=server.base, headers={"Cookie": cookie_header(server)})
        first = await asyncio.wait_for(tab.receive(), 60)  # the app's first screen bytes
        assert first.type == aiohttp.WSMsgType.BINARY
        [app] = children(server.process.pid)
        temp_dir = Path(environ(app)["TMPDIR"])
        assert temp_dir.is_dir() and temp_dir.name.startswith("tab-")
        assert Path(f"/proc/{app}/cmdline").read_bytes().split(b"\0")[1:3] == [b"-m", b"rtchat"]  # the app itself, not a shell
        await tab.close()
    await until(lambda: not Path(f"/proc/{app}").exists(), within=30, what="the tab's app to end")
    await until(lambda: not temp_dir.exists(), within=10, what="the tab's temp dir to go")


async def test_an_app_that_quits_closes_its_tab(server):
    async with aiohttp.ClientSession() as session:
        tab = await session.ws_connect(ws_url(server), origin=server.base, headers={"Cookie": cookie_header(server)})
        await asyncio.wait_for(tab.receive(), 60)
        await tab.send_json(["stdin", "\x11"])  # ctrl+q
        await until_closed(tab)
    await until(lambda: children(server.process.pid) == [], within=30, what="the app to be gone")


async def test_malformed_tab_messages_are_dropped_and_the_tab_goes_on(server):
    async with aiohttp.ClientSession() as session:
        tab = await session.ws_connect(ws_url(server), origin=server.base, headers={"Cookie": cookie_header(server)})
        await asyncio.wait_for(tab.receive(), 60)
        for junk in ("not json", "{}", "[]", '["resize", {"width": "x", "height": -5}]', '["stdin", 5]'):
            await tab.send_str(junk)
        await tab.send_json(["ping", "still-here"])
        async def pong() -> list:
            while True:
                message = await tab.receive()
                if message.type == aiohttp.WSMsgType.TEXT and message.json()[0] == "pong":
                    return message.json()
        assert await asyncio.wait_for(pong(), 30) == ["pong", "still-here"]
        await tab.close()
    await until(lambda: children(server.process.pid) == [], within=30, what="the app to be gone")


async def test_a_flood_of_tabs_past_max_sessions_gets_one_page_of_text(tmp_path):
    write_config(tmp_path, "[web]\nmax_sessions = 1\n")
    web = start_web(tmp_path)
    try:
        client = signed_in(web)
        async with aiohttp.ClientSession() as session:
            first = await session.ws_connect(ws_url(web), origin=web.base, headers={"Cookie": cookie_header(web)})
            await asyncio.wait_for(first.receive(), 60)
            with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                await session.ws_connect(ws_url(web), origin=web.base, headers={"Cookie": cookie_header(web)})
            assert full.value.status == 503
            page = client.get("/")
            assert page.status_code == 503
            assert page.text.startswith("rtchat web: 1 tabs already have a session open") and len(page.text.splitlines()) == 2
            assert len(children(web.process.pid)) == 1
            await first.close()
        await until(lambda: children(web.process.pid) == [], within=30, what="the first tab's app to end")
        assert client.get("/").status_code == 200
    finally:
        web.stop()


def test_max_sessions_out_of_range_is_refused_naming_the_line(tmp_path):
    write_config(tmp_path, "[web]\nmax_sessions = 0\n")
    result = run_rtchat(tmp_path, "web", "--port", "0")
    assert result.returncode == 2
    assert "config.toml line 2: [web] max_sessions must be a whole number between 1 and 64 (got 0)" in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "::", "example.invalid"])
def test_a_non_loopback_host_is_refused_without_allow_remote(tmp_path, host):
    result = run_rtchat(tmp_path, "web", "--host", host, "--port", "0", timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith(f"rtchat: rtchat web listens on loopback addresses only (127.0.0.1, ::1), not {host}")
    assert "--allow-remote" in result.stderr and "http" not in result.stdout


def test_allow_remote_warns_of_plain_http_and_not_with_a_certificate():
    plain = plan_listen("0.0.0.0", 8080, allow_remote=True)
    assert plain.remote and plain.allowed_hosts() is None
    assert plain.warnings and plain.warnings[0].startswith("traffic is plain HTTP")
    assert plain.base_url().startswith("http://") and "0.0.0.0" not in plain.base_url()  # a name browsers can reach
    secure = plan_listen("0.0.0.0", 8443, allow_remote=True, certfile="c.pem", keyfile="k.pem")
    assert secure.warnings == [] and secure.base_url().startswith("https://")
    assert plan_listen("::1", 0).base_url(4321) == "http://[::1]:4321"
    with pytest.raises(AddressRefused, match="both --certfile and --keyfile"):
        plan_listen("127.0.0.1", 0, certfile="c.pem")


def test_https_with_a_certificate_sets_a_secure_cookie(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    web = start_web(tmp_path, "--certfile", str(cert), "--keyfile", str(key))
    try:
        assert web.url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(cert))
        response = httpx.get(web.url, verify=trust)
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
        page = httpx.get(web.base + "/", verify=trust, cookies={cookie_name(web.key): web.key})
        assert 'data-session-websocket-url="wss://' in page.text
    finally:
        web.stop()
    result = run_rtchat(tmp_path, "web", "--port", "0", "--certfile", str(tmp_path / "missing.pem"), "--keyfile", str(key), timeout=30)
    assert result.returncode == 2 and result.stderr.startswith("rtchat: cannot serve HTTPS with")


async def test_ctrl_c_on_the_server_ends_every_tab_app_and_removes_their_files(tmp_path):
    web = start_web(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            tab = await session.ws_connect(ws_url(web), origin=web.base, headers={"Cookie": cookie_header(web)})
            await asyncio.wait_for(tab.receive(), 60)
            [app] = children(web.process.pid)
            temp_root = Path(environ(app)["TMPDIR"]).parent
            assert temp_root.name.startswith("rtchat-web-")
            await asyncio.to_thread(web.stop)  # SIGINT, as Ctrl+C in its terminal
            assert web.process.returncode == 0
            await until_closed(tab)
    finally:
        web.stop()
    assert not Path(f"/proc/{app}").exists() and not temp_root.exists()


def test_open_hands_the_printed_url_to_the_browser(tmp_path):
    opened = tmp_path / "opened.txt"
    recorder = f"{sys.executable} -c 'import pathlib, sys; pathlib.Path(sys.argv[2]).write_text(sys.argv[1])' %s {opened}"
    web = start_web(tmp_path, "--open", BROWSER=recorder)  # webbrowser runs $BROWSER with the URL for %s
    try:
        poll(opened.exists, what="the browser command to run")
        poll(lambda: opened.read_text() == web.url, what="the URL it was given")
    finally:
        web.stop()

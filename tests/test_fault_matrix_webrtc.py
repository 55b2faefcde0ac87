"""Fault matrix rows for WebRTC (see docs/faults.md): each against the loopback
peer or a tiny local one, through `Session.turn(..., protocol="webrtc")`."""

from __future__ import annotations

import asyncio
import re
import subprocess

import pytest
from aiohttp import web

from rtchat.conversation import Conversation
from tests.support.env import isolated_env, rtchat_cmd
from tests.support.turns import done_of, errors_of
from tests.support.webrtc import ask, make_session, tiny_peer


@pytest.mark.parametrize("status", [400, 500])
async def test_an_offer_refused_with_a_status_names_it_and_is_not_retried(isolated, status):
    posts = []

    async def refuse(request: web.Request) -> web.Response:
        posts.append((request.content_type, await request.text()))
        return web.json_response({"error": {"message": f"loopback says no ({status})"}}, status=status)

    async with tiny_peer(refuse) as base_url:
        session = make_session()
        try:
            target = await session.resolve("loopback/echo", base_url)
            events, _ = await ask(session, target, Conversation(), "hi")
        finally:
            await session.aclose()
    [error] = errors_of(events)
    assert f"refused the WebRTC offer ({status}): loopback says no" in error.message
    assert done_of(events) == "error" and len(posts) == 1, "not retried"
    content_type, body = posts[0]
    assert content_type == "multipart/form-data" and "m=audio" in body and '"model": "echo"' in body, "the documented form: sdp + session"


async def test_a_redirected_offer_is_not_followed_and_the_key_stays_home(isolated):
    elsewhere = []

    async def thief(request: web.Request) -> web.Response:
        elsewhere.append(dict(request.headers))
        return web.Response(status=201, text="v=0")

    async with tiny_peer(thief) as thief_url:
        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(thief_url + "/realtime/calls")

        async with tiny_peer(redirect) as base_url:
            session = make_session()
            try:
                target = await session.resolve("loopback/echo", base_url)
                target.key = "sk-webrtc-redirect-secret"
                events, _ = await ask(session, target, Conversation(), "hi")
            finally:
                await session.aclose()
    [error] = errors_of(events)
    assert error.kind == "redirect" and f"redirected the request to {thief_url}/realtime/calls" in error.message
    assert elsewhere == [], "the offer (and its key) never reached the redirect's target"
    assert "sk-webrtc-redirect-secret" not in repr(events)


async def test_a_refused_offer_is_one_line_from_ask_without_a_traceback(tmp_path):
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "Incorrect API key provided."}}, status=401)

    async with tiny_peer(refuse) as base_url:
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("ask", "--protocol", "webrtc", "-m", "loopback/echo", "--base-url", base_url, "hi"),
            env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    stderr = err.decode()
    assert process.returncode == 1 and out == b""
    assert "wants a key (401), and rtchat sent none for loopback" in stderr and "Traceback" not in stderr


async def answer_then_vanish(request: web.Request) -> web.Response:
    """A real SDP answer whose peer is closed at once: nobody answers ICE checks.
    With `?model=lorem` its candidates also point at TEST-NET-1, which never routes."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    sdp = pc.localDescription.sdp
    await pc.close()
    if request.query.get("model") == "lorem":
        sdp = re.sub(r"(a=candidate:\S+ \d \S+ \d+) \S+ ", r"\1 192.0.2.1 ", sdp)
    return web.Response(status=201, text=sdp, content_type="application/sdp")


@pytest.mark.parametrize("model", ["echo", "lorem"], ids=["peer-gone", "unreachable-candidates"])
async def test_an_answer_that_cannot_connect_is_a_clear_error_within_the_connect_timeout(isolated, model):
    offers = []

    async def counted(request: web.Request) -> web.Response:
        offers.append(request.path)
        return await answer_then_vanish(request)

    async with tiny_peer(counted) as base_url:
        session = make_session(connect_timeout=2)
        try:
            target = await session.resolve(f"loopback/{model}", base_url)
            events, turn = await ask(session, target, Conversation(), "hi")
        finally:
            await session.aclose()
    [error] = errors_of(events)
    assert "did not connect" in error.message and "ice_servers" in error.message
    assert done_of(events) == "error" and turn.connection.state == "closed"
    # The budget covers loading aiortc, ICE and DTLS, and the call is not retried (a wall-clock bound
    # can flake on a loaded machine: the count is the evidence).
    assert offers == ["/v1/realtime/calls"], "one offer: the connect timeout ended it and nothing retried it"



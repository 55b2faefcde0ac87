"""`--debug` logs socket turns too (issue 27): every WebSocket frame both ways, with the key taken
out exactly as on the SSE path, and every run gets its own log file."""

from __future__ import annotations

import asyncio
import os
import stat

from rtchat.conversation import Conversation
from rtchat.debuglog import WireLog
from tests.support.env import isolated_env, rtchat_cmd, write_config
from tests.support.turns import done_of
from tests.support.webrtc import ask, make_session

KEY = "sk-live-debug-secret-4242"


async def test_a_websocket_turn_with_debug_logs_both_directions_redacted(loopback, tmp_path):
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--debug", "--no-history", "--protocol", "websocket", "-m", "deepseek/echo", "--base-url", loopback.url, f"repeat {KEY} please"),
        env=isolated_env(tmp_path, DEEPSEEK_API_KEY=KEY), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    [log] = (tmp_path / "state" / "logs").glob("wire-*.log")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert KEY not in text, "the key is out of the log: the upgrade's header and the prompt that repeated it"
    lines = text.splitlines()
    [opened] = [line for line in lines if "ws        open ws://127.0.0.1" in line]
    assert "/v4/chat" in opened and "'Authorization': '[redacted]'" in opened
    [sent] = [line for line in lines if "ws sent" in line]
    received = [line for line in lines if "ws received" in line]
    assert '"type":"chat"' in sent and "repeat [redacted] please" in sent, "a frame carrying the key is redacted, not dropped"
    assert any('"type":"token"' in line for line in received) and '"type":"done"' in received[-1]
    assert "Echo" in out.decode() and "[redacted]" in "".join(received), "what came back is logged, the echoed key redacted"


def test_two_logs_made_in_the_same_second_are_two_files(isolated, tmp_path):
    first, second = WireLog.create(), WireLog.create()
    try:
        assert first.path != second.path and first.path.parent == second.path.parent
        assert str(os.getpid()) in first.path.name
        first.write("note", "one")
        second.write("note", "two")
        assert "one" in first.path.read_text() and "two" not in first.path.read_text()
    finally:
        first.close()
        second.close()


async def test_a_webrtc_turn_logs_its_data_channel_both_ways(isolated, loopback, tmp_path):
    session = make_session()
    session.wire_log = WireLog(tmp_path / "wire.log")
    try:
        target = await session.resolve("loopback/echo", loopback.url + "/v1")
        events, _ = await ask(session, target, Conversation(), "over the channel")
    finally:
        await session.aclose()
    assert done_of(events) == "complete"
    lines = (tmp_path / "wire.log").read_text().splitlines()
    sent = [line for line in lines if "ws sent" in line]
    received = [line for line in lines if "ws received" in line]
    assert any("over the channel" in line and "conversation.item.create" in line for line in sent)
    assert any("response.create" in line for line in sent)
    assert any("session.created" in line for line in received) and any("response.done" in line for line in received)


async def test_the_webrtc_offer_and_its_answer_are_in_the_log_with_key_and_ice_password_out(loopback, tmp_path):
    """The signalling POST (offer + session) and the 201 SDP answer, as sent and received: the key in
    neither its header nor anywhere else, and each side's `a=ice-pwd` replaced."""
    write_config(tmp_path, f'[providers.lb]\nbase_url = "{loopback.url}/v1"\nkey_env = "LB_API_KEY"\n'
                           '[providers.lb.models."echo"]\nprotocols = ["webrtc"]\nsocket_api = "realtime-ga"\n')
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--debug", "--no-history", "--protocol", "webrtc", "-m", "lb/echo", "over webrtc"),
        env=isolated_env(tmp_path, LB_API_KEY=KEY), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 0, err.decode()
    assert "over webrtc" in out.decode()
    [log] = (tmp_path / "state" / "logs").glob("wire-*.log")
    text = log.read_text()
    assert KEY not in text
    lines = text.splitlines()
    [offer] = [line for line in lines if " request " in line]
    assert f"POST {loopback.url}/v1/realtime/calls?model=echo" in offer and "'Authorization': '[redacted]'" in offer
    assert "v=0" in offer and "a=ice-ufrag:" in offer and "a=ice-pwd:[redacted]" in offer
    assert "'session': {'type': 'realtime', 'model': 'echo'" in offer
    [status] = [line for line in lines if " response " in line]
    assert " 201 headers=" in status
    [answer] = [line for line in lines if " answer " in line]
    assert "v=0" in answer and "a=ice-pwd:[redacted]" in answer and "a=fingerprint:" in answer
    assert all(line.count("a=ice-pwd:") == line.count("a=ice-pwd:[redacted]") for line in lines)
    assert lines.index(offer) < lines.index(answer) < min(i for i, line in enumerate(lines) if "ws sent" in line)

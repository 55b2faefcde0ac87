"""Odd input to the command line is one `rtchat: ...` line on stderr and a plain exit code, never
a traceback: ids past SQLite's integers, a prompt argument that is not UTF-8, a model list with
odd ids or one that drips, ctrl+c during a bench. Real processes, real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess

import pytest
from aiohttp import web

from tests.support.canned_sse import canned_provider_config
from tests.support.env import in_the_foreground, isolated_env, rtchat_cmd
from tests.support.peers import http_peer
from tests.support.store import stored_conversation

BEYOND_SQLITE = "99999999999999999999"  # > 2**63 - 1: OverflowError inside sqlite3 before


def run(tmp_path, *args: str | bytes):
    return subprocess.run(rtchat_cmd(*args), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120)


def stderr_lines(result) -> list[str]:
    return result.stderr.splitlines()


@pytest.fixture
def one_conversation(tmp_path):
    stored_conversation(tmp_path, "hi")  # as `rtchat ask hi` leaves it, without a process


def test_a_conversation_id_past_sqlites_integers_is_no_conversation(tmp_path, one_conversation):
    asked = run(tmp_path, "ask", "-m", "loopback/echo", "--conversation", BEYOND_SQLITE, "hi")
    assert (asked.returncode, stderr_lines(asked)) == (2, [f"rtchat: no conversation {BEYOND_SQLITE} (see `rtchat history`)"])
    exported = run(tmp_path, "export", BEYOND_SQLITE)
    assert (exported.returncode, stderr_lines(exported)) == (1, [f"rtchat: no conversation {BEYOND_SQLITE} (see `rtchat history`)"])


def test_a_history_limit_past_sqlites_integers_lists_everything(tmp_path, one_conversation):
    listed = run(tmp_path, "history", "--json", "--limit", BEYOND_SQLITE)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert [row["messages"] for row in json.loads(listed.stdout)] == [2]
    searched = run(tmp_path, "history", "--search", "hi", "--limit", BEYOND_SQLITE)
    assert searched.returncode == 0 and "Traceback" not in searched.stderr


def test_a_prompt_argument_that_is_not_utf8_is_one_line_and_stores_nothing(tmp_path):
    asked = run(tmp_path, "ask", "-m", "loopback/echo", os.fsencode("caf") + b"\xe9")  # latin-1 bytes in argv
    assert (asked.returncode, stderr_lines(asked)) == (
        2, ["rtchat: the prompt argument is not UTF-8 text (byte 0xe9 at offset 3); convert it first, e.g. with `iconv -f latin1 -t utf-8`"],
    )
    listed = run(tmp_path, "history", "--json")
    assert json.loads(listed.stdout or "[]") == [], "no empty '0 msgs' conversation is left behind"


async def models_refresh(tmp_path, handler, connect_timeout: float = 10.0):
    async with http_peer(handler) as peer:
        canned_provider_config(tmp_path / "config", peer.url + "/v1")
        with (tmp_path / "config" / "config.toml").open("a", encoding="utf-8") as config:
            config.write(f"\n[network]\nconnect_timeout = {connect_timeout}\n")
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("models", "--provider", "canned", "--refresh"),
            env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode().splitlines()


async def test_a_model_list_with_ids_that_are_not_strings_keeps_the_rest(tmp_path):
    async def odd_ids(request):
        return web.json_response({"data": [{"id": ["list"]}, {"id": {"a": 1}}, {"id": 7}, "bare", {"id": "served-model"}]})

    code, out, err = await models_refresh(tmp_path, odd_ids)
    assert (code, err) == (0, [])
    assert "canned/served-model" in out and "canned/m " in out


async def test_a_model_list_that_drips_ends_at_an_overall_deadline(tmp_path):
    async def drip(request):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            while True:  # one byte a second: every read of httpx's 5 s timeout succeeds
                await response.write(b" ")
                await asyncio.sleep(1)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    code, out, err = await models_refresh(tmp_path, drip, connect_timeout=0.1)
    assert code == 0 and len(err) == 1, err
    assert re.fullmatch(r"rtchat: could not list canned's models at 127\.0\.0\.1:\d+: canned did not send its model list within 5\.1 s", err[0]), err
    assert "canned/m " in out, "the catalogue's models are still listed"


def test_ctrl_c_during_a_bench_is_one_line_and_exit_130(tmp_path):
    process = subprocess.Popen(
        rtchat_cmd("bench", "-m", "loopback/echo", "--runs", "100000"),
        env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=in_the_foreground,
    )
    progress = process.stderr.readline()  # the first progress line: the bench is running turns
    assert progress.startswith("bench: "), progress
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    said = [line for line in err.splitlines() if not line.startswith("bench: ")]
    assert (process.returncode, said) == (130, ["rtchat: bench interrupted (ctrl+c); nothing was measured to the end, so nothing is printed"])
    assert out == ""


def test_a_system_prompt_that_is_not_utf8_is_one_line(tmp_path):
    asked = run(tmp_path, "ask", "-m", "loopback/echo", "--system", b"\xff", "hi")
    assert (asked.returncode, stderr_lines(asked)) == (2, ["rtchat: --system is not UTF-8 text (byte 0xff at offset 0); convert it first, e.g. with `iconv -f latin1 -t utf-8`"])

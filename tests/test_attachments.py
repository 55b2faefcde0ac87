"""Files in a prompt (`ask -a`): each wire's own parts, the loopback says what arrived,
one clear line for a model that cannot take a file, stored once by content hash."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from rtchat.export import records_from_json
from tests.support.attachments import PDF, ask_process, png
from tests.support.env import isolated_env, rtchat_cmd

SYSTEM = "You are terse. Answer in one line."  # 34 characters


@pytest.fixture
def files(tmp_path):
    picture, document, notes = tmp_path / "pic.png", tmp_path / "doc.pdf", tmp_path / "notes.txt"
    picture.write_bytes(png())
    document.write_bytes(PDF)
    notes.write_text("the pelican is in the notes file\n")
    return picture, document, notes


WIRES = {
    "openai_chat": ("loopback/echo@0", "/v1", {}),
    "anthropic": ("anthropic/echo@0", "", {"ANTHROPIC_API_KEY": "k"}),
    "gemini": ("gemini/echo@0", "", {"GEMINI_API_KEY": "k"}),
    "openai_responses": ("openai/echo@0", "/v1", {"OPENAI_API_KEY": "k"}),
}


def binary_parts(wire: str, body: dict) -> list[str]:
    """The kinds of file part the loopback received in the last user message, in each wire's own words."""
    if wire == "gemini":
        return [next(iter(p)) for p in body["contents"][-1]["parts"] if "text" not in p]
    messages = body.get("messages") or body.get("input")
    content = messages[-1]["content"]
    return [part["type"] for part in content if part["type"] not in ("text", "input_text")]


@pytest.mark.parametrize("wire", list(WIRES))
async def test_each_wire_sends_files_its_own_way_and_the_loopback_reports_them(tmp_path, loopback, files, wire):
    ref, suffix, env = WIRES[wire]
    picture, document, notes = files
    extra = ["--api", "responses"] if wire == "openai_responses" else []
    base = [] if suffix is None else ["--base-url", loopback.url + suffix]
    code, out, err = await ask_process(tmp_path, "-m", ref, *base, *extra, "--system", SYSTEM, "-a", str(picture), "-a", str(document), "-a", str(notes), "what is this", **env)
    assert code == 0, err
    size_png, size_pdf = round(len(png()) / 1024), round(len(PDF) / 1024)
    assert f"got a {size_png} KB PNG, a {size_pdf} KB PDF and a system prompt of 34 characters" in out
    assert "the pelican is in the notes file" in out, "a text file travels as text"
    expected = {
        "openai_chat": ["image_url", "file"],
        "anthropic": ["image", "document"],
        "gemini": ["inlineData", "inlineData"],
        "openai_responses": ["input_image", "input_file"],
    }[wire]
    assert binary_parts(wire, loopback.records[-1].request_json) == expected


async def test_a_model_that_cannot_read_images_is_refused_before_anything_is_sent(tmp_path, loopback, files):
    picture, _, _ = files
    code, out, err = await ask_process(tmp_path, "-m", "loopback/refusal", "-a", str(picture), "hi")
    assert code == 2 and out == ""
    assert err.strip() == "rtchat: loopback/refusal cannot read image attachments (pic.png); it takes text only"
    assert loopback.records == [], "nothing was sent"


async def test_a_file_over_the_providers_limit_is_one_line(tmp_path, loopback):
    big = tmp_path / "big.png"
    big.write_bytes(png()[:8] + b"\x00" * (5 * 2**20 + 1))
    code, _, err = await ask_process(tmp_path, "-m", "anthropic/echo", "--base-url", loopback.url, "-a", str(big), "hi", ANTHROPIC_API_KEY="k")
    assert code == 2 and err.strip() == "rtchat: big.png is 5.0 MB, over the 5.0 MB anthropic accepts for a image"


async def test_unknown_binary_files_and_missing_files_are_one_line(tmp_path, loopback):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\xff\xfe" * 10)
    code, _, err = await ask_process(tmp_path, "-a", str(blob), "hi")
    assert code == 2 and "neither an image" in err and err.count("\n") == 1
    code, _, err = await ask_process(tmp_path, "-a", str(tmp_path / "missing.png"), "hi")
    assert code == 2 and "cannot read" in err and err.count("\n") == 1


async def test_files_are_stored_once_and_go_back_with_the_conversation(tmp_path, loopback, files):
    picture, _, _ = files
    for args in (["-m", "loopback/echo@0", "-a", str(picture), "first"], ["--continue", "-a", str(picture), "second"], ["--continue", "third"]):
        code, _, err = await ask_process(tmp_path, "--base-url", loopback.url + "/v1", *args)
        assert code == 0, err
    with sqlite3.connect(tmp_path / "data" / "history.db") as db:
        assert db.execute("SELECT count(*) FROM blobs").fetchone() == (1,)
        assert db.execute("SELECT count(*), count(DISTINCT message_id) FROM attachments").fetchone() == (2, 2)
    third = loopback.records[-1].request_json["messages"]
    assert [any(p.get("type") == "image_url" for p in m["content"]) if isinstance(m["content"], list) else False for m in third if m["role"] == "user"] == [True, True, False]


async def test_a_file_from_stdin(tmp_path, loopback):
    code, out, err = await ask_process(tmp_path, "-m", "loopback/echo@0", "-a", "-", "look", stdin=png())
    assert code == 0, err
    assert "got a" in out and "PNG" in out


async def test_exports_show_files_and_cost_and_json_round_trips_them(tmp_path, loopback, files):
    picture, _, _ = files
    code, _, err = await ask_process(tmp_path, "--base-url", loopback.url + "/v1", "-m", "loopback/echo@0", "-a", str(picture), "look")
    assert code == 0, err
    _, markdown, _ = await run_export(tmp_path, "md")
    assert f"📎 pic.png ({round(len(png()) / 1024)} KB, image/png)" in markdown and "_cost <$0.0001 (table)_" in markdown  # a loopback turn costs a fraction of a cent
    _, exported, _ = await run_export(tmp_path, "json")
    _, messages = records_from_json(json.loads(exported))
    assert messages[0].attachments[0].data == png()


async def run_export(tmp_path, fmt: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("export", "last", "--format", fmt), env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_a_persona_brings_its_system_prompt_model_and_effort_and_flags_win(tmp_path, loopback):
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text('[personas.terse]\nprompt = "You are terse. Answer in one line."\nmodel = "loopback/echo"\neffort = "off"\n')
    code, out, err = await ask_process(tmp_path, "--base-url", loopback.url + "/v1", "--persona", "terse", "hello")
    assert code == 0, err
    assert "a system prompt of 34 characters" in out
    sent = loopback.records[-1].request_json
    assert sent["messages"][0] == {"role": "system", "content": SYSTEM} and sent["model"] == "echo"
    code, out, _ = await ask_process(tmp_path, "--base-url", loopback.url + "/v1", "--persona", "terse", "--system", "Be brief.", "hello")
    assert "a system prompt of 9 characters" in out
    code, _, err = await ask_process(tmp_path, "--persona", "nobody", "hello")
    assert code == 2 and err.strip() == "rtchat: no persona named 'nobody' (known: terse)"

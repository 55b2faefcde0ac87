"""Branches through the real CLI against the loopback: `ask --regenerate` and `ask --edit`
send the right context (checked in the request bodies the loopback recorded), keep the
old branch, and `export --all-branches` writes every branch in Markdown and JSON."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from tests.support.env import isolated_env, rtchat_cmd


async def rtchat(tmp_path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd(*args), env=isolated_env(tmp_path), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


def sent(loopback) -> list[tuple[str, str]]:
    """The (role, text) of each message in the last request the loopback received."""
    return [(m["role"], m["content"] if isinstance(m["content"], str) else "".join(p.get("text", "") for p in m["content"]))
            for m in loopback.records[-1].request_json["messages"]]


async def test_regenerate_and_edit_branch_the_stored_conversation(tmp_path, loopback):
    base = ["--base-url", loopback.url + "/v1"]
    assert (await rtchat(tmp_path, "ask", *base, "-m", "loopback/echo@0", "first question"))[0] == 0
    code, first_answer, err = await rtchat(tmp_path, "ask", *base, "--continue", "second question")
    assert code == 0, err

    code, again, err = await rtchat(tmp_path, "ask", *base, "--regenerate")
    assert code == 0, err
    assert again.strip(), "the regenerated answer is printed"
    roles = sent(loopback)
    assert [r for r, _ in roles] == ["user", "assistant", "user"]
    assert roles[-1][1] == "second question" and roles[0][1] == "first question", "the last prompt went again, answered once before"
    with sqlite3.connect(tmp_path / "data" / "history.db") as db:
        answers = db.execute("SELECT parent_id, on_path FROM messages WHERE role = 'assistant' ORDER BY seq").fetchall()
    assert answers[1][0] == answers[2][0] and [on for _, on in answers] == [1, 0, 1], "two sibling answers, the new one current"

    code, _, err = await rtchat(tmp_path, "ask", *base, "--edit", "second question, rephrased")
    assert code == 0, err
    assert [t for _, t in sent(loopback)][-1] == "second question, rephrased"
    assert [r for r, _ in sent(loopback)] == ["user", "assistant", "user"], "the edited prompt replaces the old one, not follows it"

    code, _, err = await rtchat(tmp_path, "ask", *base, "--continue", "third question")
    assert code == 0, err
    texts = [t for _, t in sent(loopback)]
    assert texts[0] == "first question" and texts[2] == "second question, rephrased" and texts[4] == "third question"
    assert "second question" not in texts, "the old branch is not sent"

    code, history, _ = await rtchat(tmp_path, "history", "--json")
    assert json.loads(history)[0]["messages"] == 6, "the list counts the current branch"
    assert json.loads(history)[0]["branches"] == 3
    code, history, _ = await rtchat(tmp_path, "history")
    assert history.rstrip().endswith("first question  (3 branches)")

    code, markdown, err = await rtchat(tmp_path, "export", "last", "--all-branches")
    assert code == 0, err
    assert markdown.count("## Branch ") == 3 and "## Branch 1 of 3 (current)" in markdown
    assert "> second question, rephrased" in markdown and "> second question\n" in markdown
    assert "_Forks after #3, your prompt “second question”._" in markdown or "_Forks after #2" in markdown
    code, current_only, _ = await rtchat(tmp_path, "export", "last")
    assert "## Branch" not in current_only and "> second question\n" not in current_only

    code, exported, err = await rtchat(tmp_path, "export", "last", "--all-branches", "--format", "json")
    data = json.loads(exported)
    assert len(data["messages"]) == 9 and len(data["branches"]) == 3
    by_id = {m["id"]: m for m in data["messages"]}
    assert [by_id[i]["text"] for i in data["branches"][0]][-2] == "third question"
    assert all(by_id[i]["on_path"] for i in data["branches"][0])


async def test_regenerate_with_another_model_and_bad_usage(tmp_path, loopback):
    base = ["--base-url", loopback.url + "/v1"]
    assert (await rtchat(tmp_path, "ask", *base, "-m", "loopback/echo@0", "only question"))[0] == 0
    code, _, err = await rtchat(tmp_path, "ask", "--regenerate", "a prompt too")
    assert code == 2 and err.count("\n") == 1 and "--regenerate" in err
    code, _, err = await rtchat(tmp_path, "ask", "--conversation", "999", "hello")
    assert code == 2 and "no conversation 999" in err
    code, _, err = await rtchat(tmp_path, "ask", *base, "-m", "loopback/redacted@0", "--regenerate")
    assert code == 0, err
    with sqlite3.connect(tmp_path / "data" / "history.db") as db:
        models = db.execute("SELECT model, on_path FROM messages WHERE role = 'assistant' ORDER BY seq").fetchall()
    assert models == [("loopback/echo@0", 0), ("loopback/redacted@0", 1)]


WIRES = {  # as tests/test_attachments.py: each wire format the loopback speaks, with a dummy key
    "openai_chat": ("loopback/echo@0", "/v1", {}),
    "anthropic": ("anthropic/echo@0", "", {"ANTHROPIC_API_KEY": "k"}),
    "gemini": ("gemini/echo@0", "", {"GEMINI_API_KEY": "k"}),
    "openai_responses": ("openai/echo@0", "/v1", {"OPENAI_API_KEY": "k"}),
}


def turns(body: dict) -> list[tuple[str, str]]:
    """(user|assistant, text) of each turn of a request body, in any of the four wire formats."""
    out = []
    for item in body.get("messages") or body.get("contents") or body.get("input") or []:
        role = item.get("role") if isinstance(item, dict) else None
        if role is None:
            continue  # a Responses reasoning item, say
        content = item.get("content", item.get("parts", ""))
        text = content if isinstance(content, str) else "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append(("user" if role == "user" else "assistant", text))
    return out


@pytest.mark.parametrize("wire", list(WIRES))
async def test_regenerate_and_edit_send_the_branch_in_every_wire_format(tmp_path, loopback, wire):
    ref, suffix, env = WIRES[wire]
    base = ["--base-url", loopback.url + suffix]

    async def ask(*args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *rtchat_cmd("ask", *base, *args), env=isolated_env(tmp_path, **env), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()

    await ask("-m", ref, "one")
    await ask("--continue", "two")
    await ask("--regenerate")
    sent = turns(loopback.records[-1].request_json)
    assert [role for role, _ in sent] == ["user", "assistant", "user"] and [sent[0][1], sent[2][1]] == ["one", "two"]
    await ask("--edit", "two, edited")
    sent = turns(loopback.records[-1].request_json)
    assert [role for role, _ in sent] == ["user", "assistant", "user"] and [sent[0][1], sent[2][1]] == ["one", "two, edited"]

"""One clock: the figures `--jsonl` prints are the figures the history keeps, and a rate
is never computed from a provider's provisional token count."""

from __future__ import annotations

import asyncio
import json
import signal

from rtchat.store import Store
from tests.support.env import in_the_foreground, isolated_env, rtchat_cmd


async def ask_and_interrupt(tmp_path, loopback, ref: str, after_texts: int) -> tuple[int, list[dict]]:
    env = isolated_env(tmp_path, ANTHROPIC_API_KEY="sk-ant-loopback-test")
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", "--jsonl", "--base-url", loopback.url, "-m", ref, "go"),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=in_the_foreground,
    )
    events: list[dict] = []
    texts = 0
    while texts < after_texts:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line, "the answer ended before it could be interrupted"
        events.append(json.loads(line))
        texts += events[-1]["type"] == "text"
    process.send_signal(signal.SIGINT)
    rest, _ = await asyncio.wait_for(process.communicate(), 30)
    events += [json.loads(line) for line in rest.decode().splitlines() if line.strip()]
    return process.returncode, events


async def test_an_interrupted_anthropic_turn_has_a_real_rate_and_history_keeps_the_same_figures(tmp_path, loopback):
    code, events = await ask_and_interrupt(tmp_path, loopback, "anthropic/lorem@rate=200", after_texts=120)  # 0.6 s: a span a stall on a loaded machine cannot fold under the rate's 0.1 s minimum
    assert code == 130 and events[-1] == {"type": "done", "reason": "interrupted"}
    metrics = next(e for e in events if e["type"] == "metrics")
    # message_start's provisional output count is 1; a rate from it would read about 1 token/s.
    assert metrics["tokens_per_s"] > 50 and metrics["output_chunks"] >= 40
    with Store.open(tmp_path / "data" / "history.db") as store:
        _, messages = store.load_conversation(store.last_conversation_id())
    stored = messages[-1].metrics
    assert {k: stored[k] for k in ("ttft_ms", "tokens_per_s", "output_chunks", "total_ms")} == {k: metrics[k] for k in ("ttft_ms", "tokens_per_s", "output_chunks", "total_ms")}

"""Figures a race (and the rest of rtchat) can be trusted on: issue 26's "wrong or untrustworthy figures".

Races run against the real in-process loopback over SSE, WebSocket and WebRTC; the
formats are checked where the user reads them (a column, the status line, `--json`,
`--jsonl`, the bench table and chart).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from rtchat.bench.chart_data import panels
from rtchat.bench.result import MEASURED, BenchResult, ProtocolStatus, Sample
from rtchat.bench.table import number, render_table
from rtchat.config import load_config
from rtchat.conversation import Conversation
from rtchat.events import Cost, TextDelta, event_to_dict
from rtchat.metrics import TurnClock, format_ms, is_token
from rtchat.race import Figures, Race, RaceSpec
from rtchat.session import Session
from rtchat.ui.widgets.race.figures import figure_lines
from rtchat.ui.widgets.status.status_facts import StatusFacts, format_status
from tests.support.env import isolated_env, rtchat_cmd

ALL = ("sse", "websocket", "webrtc")
PACED = "loopback/echo@rate=200,ttft=50"
PROMPT = "Which protocol answers first?"


async def race_once(model: str = PACED, watch=None) -> Race:
    session = Session(load_config())
    race = Race(session, [RaceSpec(model, protocol) for protocol in ALL], Conversation(), PROMPT)
    try:
        await race.run(watch)
    finally:
        await session.aclose()
    assert [lane.reason for lane in race.lanes] == ["complete"] * 3, [lane.error for lane in race.lanes]
    return race


def test_a_few_arrivals_batched_together_are_never_a_rate():
    clock = TurnClock(started=0.0)
    for at in (1.0, 1.000002, 1.000004):  # one socket frame, or one busy screen frame, holding three tokens
        clock.observe(TextDelta("x"), now=at)
    assert clock.tokens_per_s is None and clock.metrics(now=2.0).tokens_per_s is None  # not 1,000,000 tok/s
    steady = TurnClock(started=0.0)
    for index in range(41):  # 41 tokens 5 ms apart: 200 tok/s over 200 ms
        steady.observe(TextDelta("x"), now=1.0 + index * 0.005)
    assert steady.tokens_per_s == pytest.approx(200.0)
    ended = figure_lines(Figures(ttft_ms=50.0, total_ms=120.0))
    assert "too short for a rate" in ended and "tok/s" not in ended


@pytest.mark.usefixtures("isolated")
async def test_a_race_shows_no_rate_beyond_what_the_model_is_paced_at():
    seen: list[float] = []

    def watch(lane, event):
        if is_token(event) and lane.figures().tokens_per_s is not None:
            seen.append(lane.figures().tokens_per_s)

    race = await race_once(watch=watch)
    final = [lane.figures().tokens_per_s for lane in race.lanes]
    # Paced at 200 tok/s: a live or final figure far above it would be arithmetic over a batch.
    assert all(rate < 1000 for rate in seen + [rate for rate in final if rate is not None]), (seen, final)


@pytest.mark.usefixtures("isolated")
async def test_sockets_and_calls_open_before_the_common_start_and_each_figure_says_so():
    race = await race_once()
    by = {lane.spec.protocol: lane for lane in race.lanes}
    for protocol in ("websocket", "webrtc"):
        figures = by[protocol].figures()
        assert figures.setup_ms is not None and figures.setup_ms > 0, protocol
        assert figures.connect_ms is None
        assert by[protocol].turn.stats().connect_ms == 0.0  # the turn found its connection open: no opening in its clock
    assert by["sse"].figures().setup_ms is None and by["sse"].figures().connect_ms is not None
    assert "before start" in figure_lines(by["webrtc"].figures(), "webrtc")
    assert "in TTFT" in figure_lines(by["sse"].figures(), "sse")


@pytest.mark.usefixtures("isolated")
async def test_the_first_race_is_the_same_work_on_every_lane():
    race = await race_once()
    figures = [lane.figures() for lane in race.lanes]
    assert len({f.output_tokens for f in figures}) == 1, figures  # nobody thinks while the others answer
    assert [f.cached_tokens for f in figures] == [0, 0, 0]  # a first request has nothing cached
    assert len({lane.text for lane in race.lanes}) == 1  # the same text over every protocol
    assert race.effort == "off" and "webrtc" in race.effort_note


def test_race_json_says_its_effort_what_figures_cover_and_rounds_money(tmp_path):
    result = subprocess.run(
        rtchat_cmd("race", PROMPT, "-m", PACED, "--json"), env=isolated_env(tmp_path), capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["effort"] == "off" and "cannot think" in data["effort_note"]
    assert "before the common start" in data["figures_cover"]["setup_ms"]
    for target in data["targets"]:
        for key in ("cost_usd", "saved_usd"):
            value = target["figures"][key]
            assert value is not None and round(value, 10) == value, (key, value)


def test_money_in_machine_output_has_a_fixed_precision():
    event = event_to_dict(Cost(1.5819999999999998e-05, "table", 0.1 + 0.2))
    assert event["usd"] == 1.582e-05 and event["saved_usd"] == 0.3
    assert '"usd": 1.582e-05' in json.dumps(event)


def test_milliseconds_read_alike_everywhere():
    assert format_ms(3011.4) == "3,011 ms"
    assert "TTFT 3,011 ms" in figure_lines(Figures(connect_ms=1.2, ttft_ms=3011.4))
    status = format_status(StatusFacts(model="loopback/echo", state="done", connect_ms=1204.0, ttft_ms=3011.0), width=200)
    assert "ttft 3,011 ms" in status and "connect 1,204 ms" in status
    voice = format_status(StatusFacts(model="openai/gpt-realtime", voice="idle", first_audio_ms=4125.0), width=200)
    assert "first audio 4,125 ms" in voice


def test_the_bench_table_and_chart_give_one_inter_token_p50():
    # Two runs: a long steady one and a short jittery one. The median of per-run p50s (0.75)
    # and the p50 of every gap (0.5) differ; the table and the chart must say the same.
    steady = Sample("webrtc", MEASURED, 0, ttft_ms=10.0, gaps_ms=[0.5] * 9 + [1.0] * 2, tokens=12)
    jittery = Sample("webrtc", MEASURED, 1, ttft_ms=11.0, gaps_ms=[1.0, 1.0, 0.5], tokens=4)
    result = BenchResult("loopback/echo", "p", 2, 12, 4, None, [ProtocolStatus("webrtc", "call", True)], [steady, jittery])
    chart = next(panel for panel in panels(result) if panel.title == "inter-token latency").series["webrtc"]
    pooled = sorted(chart)[len(chart) // 2]
    table_line = next(line for line in render_table(result).splitlines() if line.startswith("inter-token p50"))
    assert table_line.split()[2] == number(pooled) == "0.50"
    assert result.summary()["webrtc"]["itl_p50_ms"]["median"] == pooled

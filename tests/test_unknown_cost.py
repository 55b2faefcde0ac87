"""A gateway that sends no cost reads "cost unknown" everywhere, never $0 and never silence.

The peer is `canned_sse` on 127.0.0.1 configured as provider `litellm`: a gateway, so not
free even on this machine, and no price for its model. Real `rtchat` processes, a real socket,
the real SQLite history. A local non-gateway server (free) is the control.
"""

from __future__ import annotations

import json
import re

import pytest

from rtchat.config import load_config
from rtchat.race import Figures, RaceSpec
from rtchat.ui.race_app import RaceApp
from rtchat.ui.screens.race import RaceScreen
from rtchat.ui.widgets.race.figures import figure_lines
from tests.support.canned_sse import canned_sse, chat_frames
from tests.support.env import run_rtchat
from tests.support.ui import wait_for

pytestmark = pytest.mark.usefixtures("isolated")

ANSWER = chat_frames(
    '{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}',
    '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    '{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5}}',
)
UNKNOWN_LINE = {"type": "cost", "usd": None, "source": "unknown", "saved_usd": None}


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def gateway_config(tmp_path, base_url: str) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(f'[providers.litellm]\nbase_url = "{base_url}"\n', encoding="utf-8")


def test_ask_jsonl_says_a_gateways_cost_is_unknown_just_before_metrics(tmp_path):
    with canned_sse(ANSWER) as url:
        result = run_rtchat(tmp_path, "ask", "--jsonl", "--no-history", "-m", "litellm/gpt-x", "--base-url", url, "hi")
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    costs = [e for e in events if e["type"] == "cost"]
    assert costs == [UNKNOWN_LINE]
    types = [e["type"] for e in events]
    assert types.index("cost") == types.index("metrics") - 1 and types[-1] == "done"


def test_ask_jsonl_on_a_free_local_server_prices_it_at_nothing_not_unknown(tmp_path):
    with canned_sse(ANSWER) as url:
        result = run_rtchat(tmp_path, "ask", "--jsonl", "--no-history", "-m", "vllm/m", "--base-url", url, "hi")
    assert result.returncode == 0, result.stderr
    assert [e for e in jsonl(result.stdout) if e["type"] == "cost"] == [{"type": "cost", "usd": 0.0, "source": "table", "saved_usd": 0.0}]


def test_race_json_and_its_column_say_cost_unknown_for_a_gateway(tmp_path):
    with canned_sse(ANSWER) as url:
        gateway_config(tmp_path, url)
        result = run_rtchat(tmp_path, "race", "--json", "--yes", "--protocols", "sse", "-m", "litellm/gpt-x", "-m", "loopback/echo", "hi")
    assert result.returncode == 0, result.stderr
    lanes = {lane["model"]: lane for lane in json.loads(result.stdout)["targets"]}
    gateway, loopback = lanes["litellm/gpt-x"]["figures"], lanes["loopback/echo"]["figures"]
    assert (gateway["cost_usd"], gateway["cost_source"]) == (None, "unknown")
    assert loopback["cost_usd"] > 0 and loopback["cost_source"] == "table"
    column = figure_lines(Figures(**gateway))
    assert "cost unknown" in column and "$" not in column


async def test_the_race_screen_column_of_a_gateway_reads_cost_unknown(tmp_path):
    with canned_sse(ANSWER) as url:
        gateway_config(tmp_path, url)
        app = RaceApp(load_config(), [RaceSpec("litellm/gpt-x", "sse"), RaceSpec("loopback/echo", "sse")], "hi")
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, RaceScreen))
            screen = pilot.app.screen
            await wait_for(pilot, lambda: screen.finished, timeout=30)
            await pilot.pause()  # a yield: the last refresh is laid out
            gateway, loopback = (str(column.query_one(".race-figures").render()) for column in screen.columns)
    assert "cost unknown" in gateway and "$" not in gateway
    assert "cost unknown" not in loopback and "$0.0" in loopback


def test_history_and_export_sum_known_costs_as_a_lower_bound(tmp_path):
    with canned_sse(ANSWER) as url:
        first = run_rtchat(tmp_path, "ask", "-m", "loopback/echo", "hi")
        second = run_rtchat(tmp_path, "ask", "--continue", "-m", "litellm/gpt-x", "--base-url", url, "again")
        alone = run_rtchat(tmp_path, "ask", "-m", "litellm/gpt-x", "--base-url", url, "new")
    assert (first.returncode, second.returncode, alone.returncode) == (0, 0, 0), first.stderr + second.stderr + alone.stderr

    listing = run_rtchat(tmp_path, "history")
    assert listing.returncode == 0, listing.stderr
    newest, mixed = listing.stdout.splitlines()[:2]
    assert "cost unknown" in newest and "$" not in newest
    assert re.search(r"≥ <?\$0\.\d+, 1 answer cost unknown", mixed), mixed
    as_json = json.loads(run_rtchat(tmp_path, "history", "--json").stdout)
    assert [(row["cost_usd"] is None, row["cost_unknown_answers"]) for row in as_json] == [(True, 1), (False, 1)]

    export = run_rtchat(tmp_path, "export", str(as_json[1]["id"]))
    assert export.returncode == 0, export.stderr
    costs = [line for line in export.stdout.splitlines() if line.startswith("_cost")]
    assert len(costs) == 2 and re.match(r"_cost <?\$0\.\d+ \(table\)_", costs[0]) and costs[1].startswith("_cost unknown"), costs
    assert "$0_" not in export.stdout and "$0 " not in export.stdout

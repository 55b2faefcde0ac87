"""Snapshots of the race view at 120x40 (side by side) and 80x24 (stacked), with frozen figures and marks."""

from __future__ import annotations

import pytest

from rtchat.config import load_config
from rtchat.race import Figures, RaceSpec
from rtchat.ui.race_app import RaceApp
from rtchat.ui.screens.race import RaceScreen
from tests.support.ui import wait_for

pytestmark = pytest.mark.usefixtures("isolated")

FROZEN = {  # by protocol: what a warm loopback race looks like, fixed so the picture never varies
    "sse": Figures(connect_ms=3.1, ttft_ms=1052.4, tokens_per_s=198.0, total_ms=1260.0, input_tokens=12, cached_tokens=0, output_tokens=13, cost_usd=0.00000882, saved_usd=0.0),
    "websocket": Figures(setup_ms=11.4, ttft_ms=31.8, tokens_per_s=None, total_ms=240.0, input_tokens=12, cached_tokens=12, output_tokens=13, cost_usd=0.00000580, saved_usd=0.00000302),
    "webrtc": Figures(setup_ms=1240.9, ttft_ms=44.0, tokens_per_s=199.0, total_ms=251.0, input_tokens=12, cached_tokens=0, output_tokens=13, cost_usd=0.00000882, saved_usd=0.0),
}


def app() -> RaceApp:
    specs = [RaceSpec("loopback/echo@rate=0", protocol) for protocol in FROZEN]
    return RaceApp(load_config(), specs, "Which protocol answers first?")


def frozen(lane) -> Figures:
    return FROZEN[lane.spec.protocol]


@pytest.fixture(autouse=True)
def frozen_figures(monkeypatch):
    """Every column reads the frozen figures from its first paint: a live figure (an unpaced lane's
    cache hit adds a line) must never shape the layout the snapshot is taken of."""
    monkeypatch.setattr(RaceScreen.__init__, "__defaults__", (frozen,))


async def finished_and_frozen(pilot) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RaceScreen) and pilot.app.screen.finished, timeout=30)
    screen = pilot.app.screen
    for lane in screen.race.lanes:
        lane.first_answer = lane.spec.protocol == "websocket"
        lane.first_finish = lane.spec.protocol == "websocket"
    screen.refresh_columns()
    await pilot.pause()  # a yield: the frozen marks are laid out


def test_race_side_by_side_at_120x40(snap_compare):
    assert snap_compare(app(), terminal_size=(120, 40), run_before=finished_and_frozen)


def test_race_stacked_at_80x24(snap_compare):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=finished_and_frozen)

"""Sharing on screen at 80x24 and 120x40: the red indicator leading the status line (no width
drops it), the red input border and the stop key first in the footer. The source is a video
file made with PyAV; over SSE its frames go only with prompts, so the count stays 0 here."""

from __future__ import annotations

import pytest

from tests.support.share_sources import make_video
from tests.support.snap import SIZES, run_before
from tests.support.ui import make_app, wait_for

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize("size", SIZES)
def test_sharing_indicator(snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "clip.mp4", [(255, 0, 0)] * 3)

    async def steps(pilot):
        app = pilot.app
        await pilot.press(*"/share clip.mp4", "enter")
        await wait_for(pilot, lambda: app.status.sharing == "sharing file clip.mp4 · 1 fps · 0 frames" and app.prompt.text == "")

    app = make_app(model="loopback/vision")
    assert snap_compare(app, terminal_size=size, run_before=run_before(monkeypatch, steps, from_idle=True, without_toasts=True))

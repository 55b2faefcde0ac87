"""The welcome screen in a browser tab at 80x24 (forced with `web=True`: the edge, a real tab needs a browser):
the tab's protocol key, its newline keys, and the line on the server's machine."""

from __future__ import annotations

import pytest

from tests.support.snap import steady_cursors
from tests.support.ui import make_app, ready

pytestmark = pytest.mark.usefixtures("isolated")


async def settle(pilot) -> None:
    await ready(pilot)
    steady_cursors(pilot.app)
    await pilot.pause()  # a yield: what ready() set off is laid out


def test_welcome_in_a_browser_tab(snap_compare):
    assert snap_compare(make_app(web=True), terminal_size=(80, 24), run_before=settle)

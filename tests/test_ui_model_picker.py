"""The model picker at 80x24: every row shows its protocols whole, ids that match come before
descriptions that do (and say so), and Enter on a filtered row switches to it. Pilot, the real app."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from rtchat.ui.screens.model_picker import ModelPicker
from tests.support.ui import make_app, ready, wait_for

pytestmark = pytest.mark.usefixtures("isolated")

SMALL = (80, 24)


def rows(picker: ModelPicker) -> list[str]:
    options = picker.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def open_picker(pilot, typed: str = "") -> ModelPicker:
    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ModelPicker))
    picker = pilot.app.screen
    for key in typed:
        await pilot.press(key)
    await wait_for(pilot, lambda: len(rows(picker)) == len(picker.shown) and all(c.ref in row for c, row in zip(picker.shown, rows(picker))))
    await pilot.pause()
    return picker


async def test_at_80x24_every_row_shows_its_thinking_and_protocols_whole():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        picker = await open_picker(pilot)
        shown = rows(picker)
        assert len(shown) > 30
        width = picker.query_one(OptionList).scrollable_content_region.width
        for choice, row in zip(picker.shown, shown):
            assert choice.abilities() in row, row  # "thinking · SSE WebSocket WebRTC · voice", never "thinking · …"
            assert all(len(line) <= width for line in row.splitlines()), row
        echo = shown[[c.ref for c in picker.shown].index("loopback/echo")]
        assert "SSE WebSocket WebRTC" in echo


async def test_filtering_lists_id_matches_first_and_says_why_the_rest_matched():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        picker = await open_picker(pilot, "echo")
        refs = [c.ref for c in picker.shown]
        assert refs[0] == "loopback/echo"
        assert "loopback/deliberate" in refs and "loopback/fault-length" in refs  # their descriptions say "echo"
        for ref, row in zip(refs[1:], rows(picker)[1:]):
            assert "echo" not in ref and "matched its description:" in row, row
        assert "matched" not in rows(picker)[0]


async def test_enter_on_a_filtered_row_switches_to_that_model():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        picker = await open_picker(pilot, "lorem")
        assert [c.ref for c in picker.shown][0] == "loopback/lorem"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.state.ref == "loopback/lorem" and not isinstance(app.screen, ModelPicker))
        assert "loopback/lorem" in app.status.text


def test_the_readme_names_every_loopback_model_and_which_are_fault_models():
    from pathlib import Path

    from rtchat.loopback.scripts import MODELS

    readme = Path(__file__).resolve().parents[1].joinpath("README.md").read_text()
    paragraph = readme[readme.index("`loopback` is the default"):]
    paragraph = paragraph[: paragraph.index("\n\n")]
    ordinary, faults = paragraph.split("The rest are fault models")
    for model in MODELS:
        assert f"`{model}`" in (faults if model.startswith("fault-") else ordinary), model

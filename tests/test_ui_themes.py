"""Themes: bundled files, --theme, the live-preview picker, saving, and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtchat.config import load_config
from rtchat.ui.screens.theme_picker import ThemePicker
from rtchat.ui.themes import BUNDLED_DIR, ThemeFileError, load_themes, parse_theme
from tests.support.ui import make_app, ready


pytestmark = pytest.mark.usefixtures("isolated")


def test_three_bundled_themes_parse():
    catalog = load_themes([BUNDLED_DIR])
    assert {"dark", "light", "high-contrast"} <= set(catalog.themes)
    assert catalog.problems == []
    assert catalog.themes["light"].dark is False


def test_bad_color_names_file_and_line():
    with pytest.raises(ThemeFileError) as info:
        parse_theme('name = "x"\nprimary = "#123456"\naccent = "not-a-color"\n', Path("x.toml"))
    assert "x.toml:3" in str(info.value)


async def test_cli_theme_preselects():
    app = make_app(theme="high-contrast")
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.theme == "high-contrast"


async def test_picker_previews_saves_and_escape_restores():
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.theme == "dark"
        await pilot.press("f5")
        assert isinstance(app.screen, ThemePicker)
        names = app.screen.names
        await pilot.press("down")
        previewed = app.theme
        assert previewed == names[names.index("dark") + 1]  # live preview while browsing
        await pilot.press("escape")
        assert app.theme == "dark"
        await pilot.press("f5")
        app.screen.query_one("OptionList").highlighted = names.index("light")
        await pilot.press("enter")
        assert app.theme == "light"
        assert load_config().theme == "light"


async def test_malformed_user_theme_is_reported_and_default_used(tmp_path):
    themes = tmp_path / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "#fff"\nbackground = [oops\n')
    app = make_app(theme="broken")
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.theme == "dark"
        assert any("broken.toml" in p and "line 3" in p for p in app.theme_problems)
        messages = [n.message for n in app._notifications]
        assert any("broken.toml" in m for m in messages)

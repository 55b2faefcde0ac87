"""The history search in the app, as a user reaches it: ctrl+f, words typed, hits listed."""

from __future__ import annotations

from rtchat.ui.screens.search import SearchScreen
from tests.support.ui import wait_for


async def search_for(pilot, words: str, hits: int) -> SearchScreen:
    """Open the search, type `words`, and return the screen once it lists `hits` hits."""
    app = pilot.app
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
    await pilot.press(*words)
    screen = app.screen
    await wait_for(pilot, lambda: len(screen.hits) == hits)
    return screen

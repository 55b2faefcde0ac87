"""History search in a real 10,000-conversation file: every branch is searched, off-branch hits
say so, a search can be cancelled, and the app's search screen never holds up the event loop."""

from __future__ import annotations

import shutil
import threading

import pytest
from textual.widgets import Input, OptionList, Static

from rtchat.store import Store, default_path
from rtchat.ui.screens.search import SearchScreen
from tests.support.big_history import PLANTED, build_big_history
from tests.support.ui import make_app, ready, wait_for

SIZE = (120, 40)


@pytest.fixture(scope="module")
def big_history(tmp_path_factory):
    return build_big_history(tmp_path_factory.mktemp("big") / "history.db")


def test_search_finds_every_branch_of_ten_thousand_conversations(big_history):
    with Store.open(big_history.path) as store:
        hits = store.search(PLANTED, limit=1000)
        assert {h.message_id for h in hits if h.on_path} == set(big_history.planted_on_path)
        assert {h.message_id for h in hits if not h.on_path} == set(big_history.planted_off_path)
        assert [h.message_id for h in hits] == sorted((h.message_id for h in hits), reverse=True)
        assert all(f"[{PLANTED}]" in h.snippet for h in hits)
        # The first page is the newest hits; the part-of-a-word fallback scans every message.
        assert [h.message_id for h in store.search(PLANTED)] == sorted(big_history.planted_on_path + big_history.planted_off_path, reverse=True)[:50]
        assert len(store.search("elican", limit=1000)) == len(hits)


def test_a_cancelled_search_stops_and_frees_the_readers(big_history):
    with Store.open(big_history.path) as store:
        cancelled = threading.Event()
        cancelled.set()
        assert store.search("elican", cancelled=cancelled) == []  # a full scan, stopped at its first check
        cancelled.clear()
        assert len(store.search("elican", cancelled=cancelled)) == 50
        assert store.list_conversations(limit=1)[0].id == big_history.conversations  # the readers are free


@pytest.mark.usefixtures("isolated")
async def test_search_screen_stays_responsive_and_escape_closes_it_mid_search(big_history):
    default_path().parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(big_history.path, default_path())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press(*PLANTED)
        await wait_for(pilot, lambda: len(screen.hits) == 50)
        labels = [str(screen.query_one(OptionList).get_option_at_index(i).prompt) for i in range(50)]
        assert sum("on another branch" in label for label in labels) == sum(not h.on_path for h in screen.hits) > 0

        # A search that cannot finish yet: the test holds the readers' lock (a stand-in for a
        # slow query). Typing still echoes, and Escape closes the screen at once.
        held, release = threading.Event(), threading.Event()

        def hold_readers() -> None:
            with app.history.store._lock:
                held.set()
                release.wait()

        holder = threading.Thread(target=hold_readers)
        holder.start()
        held.wait()
        try:
            await pilot.press("space", *"puf")
            status = screen.query_one("#search-status", Static)
            await wait_for(pilot, lambda: str(status.content) == "searching…")
            await pilot.press(*"fins")
            assert screen.query_one(Input).value == f"{PLANTED} puffins"
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        finally:
            release.set()
            holder.join()
        await pilot.press("ctrl+f")  # and the next search works
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen is not screen)
        await pilot.press(*PLANTED)
        await wait_for(pilot, lambda: len(app.screen.hits) == 50)

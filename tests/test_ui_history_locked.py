"""SQLite never runs on the app's event loop: with the history file locked by another program
(a second sqlite3 connection holding an exclusive lock), sending, flipping branches and reopening
a conversation wait for the file, while keystrokes keep echoing; nothing is lost once it is free."""

from __future__ import annotations

import sqlite3

import pytest

from rtchat.store import Store, default_path
from rtchat.ui.widgets.transcript.messages import AssistantMessage, UserMessage
from tests.support.ui import idle, make_app, ready, send, wait_for

SIZE = (120, 40)

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture(autouse=True)
def patient_history(monkeypatch):
    """The app's history waits up to 60 s for a lock (not 2 s), so the test, not the machine's
    speed, decides when the lock ends."""
    opened = Store.open
    monkeypatch.setattr(Store, "open", lambda path=None, **kw: opened(path, **{**kw, "busy_timeout": 60.0}))


def answers(app) -> list[AssistantMessage]:
    return list(app.transcript.query(AssistantMessage))


class Lock:
    """An exclusive lock on the history file, held by another connection until released."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(default_path(), isolation_level=None)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


async def type_and_see(pilot, text: str) -> None:
    app = pilot.app
    app.prompt.focus()
    await pilot.press(*text)
    assert app.prompt.text == text
    app.prompt.clear()


async def test_a_locked_history_file_never_holds_up_typing(monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await send(pilot, "name a colour")
        await wait_for(pilot, lambda: len(answers(app)) == 1 and idle(app))
        conv_id = app.history.conversation_id

        # Sending: the prompt's commit waits for the lock; the screen does not.
        lock = Lock()
        await send(pilot, "and another")
        await wait_for(pilot, lambda: len(app.transcript.query(UserMessage)) == 2)
        await type_and_see(pilot, "still typing")
        assert len(answers(app)) == 1  # the request waits for its prompt to be on disk
        lock.release()
        await wait_for(pilot, lambda: len(answers(app)) == 2 and idle(app))

        # A branch flip writes which branch is current: it waits, typing does not.
        app.action_regenerate()
        await wait_for(pilot, lambda: idle(app) and answers(app) and answers(app)[-1].query("BranchSwitcher"))
        lock = Lock()
        app.action_previous_branch()
        await type_and_see(pilot, "flipping")
        lock.release()
        await wait_for(pilot, lambda: answers(app) and answers(app)[-1].query("BranchSwitcher") and answers(app)[-1].query("BranchSwitcher").first().label == "1/2")

        # Reopening reads (WAL readers do not wait for the lock) and the chat goes on after it.
        lock = Lock()
        app.open_conversation(conv_id)
        await type_and_see(pilot, "reopening")
        await wait_for(pilot, lambda: len(answers(app)) == 2 and not any(w.group == "conversation" for w in app.workers))
        lock.release()
        await send(pilot, "last one")
        await wait_for(pilot, lambda: len(answers(app)) == 3 and idle(app))

    with Store.open(default_path()) as store:
        _, path = store.load_conversation(conv_id)
        _, everything = store.load_conversation(conv_id, all_branches=True)
    assert [m.text for m in path if m.role == "user"] == ["name a colour", "and another", "last one"]
    assert len(everything) == 7 and all(m.status == "complete" for m in everything)

"""The conversation tree in the history store, against real SQLite files: regenerated
answers and edited prompts as siblings, flipping branches, what each reader follows,
and the v6 migration of older files (every conversation one linear path)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.answers import Feed
from rtchat.events import Done, TextDelta
from rtchat.history import edit_point, regenerate_point
from rtchat.store import SCHEMA_VERSION, Store
from tests.support.store import build_old_database, fts_is_consistent

FIXTURES = Path(__file__).parent / "fixtures" / "history"


def answer(store: Store, conv: int, text: str, model: str = "m", **where) -> int:
    writer = store.begin_answer(conv, model, **where)
    feed = Feed(writer)
    feed(TextDelta(text))
    feed(Done("complete"))
    writer.close()
    assert writer.wait(5)
    return writer.message_id


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "history.db")
    yield opened
    opened.close()


def texts(store: Store, conv: int, **kwargs) -> list[str]:
    return [m.text for m in store.load_conversation(conv, **kwargs)[1]]


def test_a_regenerated_answer_is_a_sibling_and_the_branch_follows_it(store: Store) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "name a colour")
    first = answer(store, conv, "red")
    point = regenerate_point(store, conv)
    assert [m.text for m in point.context.messages] == ["name a colour"]
    second = answer(store, conv, "blue", parent=point.parent)
    _, path = store.load_conversation(conv)
    assert [m.text for m in path] == ["name a colour", "blue"]
    assert path[1].siblings == [first, second] and path[1].branch == (2, 2)
    assert [m.text for m in store.to_conversation(conv).messages] == ["name a colour", "blue"]
    # Flipping back: what is listed and sent follows the branch; search finds every branch
    # and says which hits are off the current one.
    assert store.select_branch(conv, first) == first
    assert texts(store, conv) == ["name a colour", "red"]
    assert [m.text for m in store.to_conversation(conv).messages] == ["name a colour", "red"]
    assert [(h.message_id, h.on_path) for h in store.search("red")] == [(first, True)]
    assert [(h.snippet, h.on_path) for h in store.search("blue")] == [("[blue]", False)]
    assert store.list_conversations()[0].message_count == 2
    assert store.list_conversations()[0].branches == 2
    assert texts(store, conv, all_branches=True) == ["name a colour", "red", "blue"]


def two_turns(store: Store) -> tuple[int, int, int]:
    """A conversation q1, a1, q2, a2; returns its id and those of q1 and a1."""
    conv = store.create_conversation("m")
    q1 = store.add_user_message(conv, "q1")
    a1 = answer(store, conv, "a1")
    store.add_user_message(conv, "q2")
    answer(store, conv, "a2")
    return conv, q1, a1


def test_a_flip_lands_on_the_newest_turn_below_the_sibling(store: Store) -> None:
    conv, prompt, old = two_turns(store)
    new = answer(store, conv, "a1 again", parent=prompt)
    assert texts(store, conv) == ["q1", "a1 again"]
    store.add_user_message(conv, "q2 on the new branch")
    store.select_branch(conv, old)
    assert texts(store, conv) == ["q1", "a1", "q2", "a2"], "the old branch comes back whole"
    store.select_branch(conv, new)
    assert texts(store, conv) == ["q1", "a1 again", "q2 on the new branch"]


def test_an_edited_prompt_starts_a_branch_and_the_old_one_stays(store: Store) -> None:
    conv = store.create_conversation("m")
    store.add_user_message(conv, "first")
    answer(store, conv, "one")
    old_prompt = store.add_user_message(conv, "second, with a typo")
    answer(store, conv, "two")
    point = edit_point(store, conv)
    assert point.replaced is not None and point.replaced.id == old_prompt
    assert [m.text for m in point.context.messages] == ["first", "one"]
    new_prompt = store.add_user_message(conv, "second, fixed", parent=point.parent)
    answer(store, conv, "two, fixed")
    _, path = store.load_conversation(conv)
    assert [m.text for m in path] == ["first", "one", "second, fixed", "two, fixed"]
    assert path[2].siblings == [old_prompt, new_prompt]
    store.select_branch(conv, old_prompt)
    assert texts(store, conv) == ["first", "one", "second, with a typo", "two"]


def test_editing_the_first_prompt_makes_a_second_root(store: Store) -> None:
    conv = store.create_conversation("m")
    first = store.add_user_message(conv, "hello")
    answer(store, conv, "hi")
    point = edit_point(store, conv, first)
    assert point.parent is None and point.context.messages == []
    second = store.add_user_message(conv, "good morning", parent=None)
    _, path = store.load_conversation(conv)
    assert [m.text for m in path] == ["good morning"] and path[0].siblings == [first, second]
    assert store.list_conversations()[0].title == "hello", "the title stays the first prompt's"


def test_a_message_of_another_conversation_is_refused_as_a_parent(store: Store) -> None:
    a = store.create_conversation("m")
    b = store.create_conversation("m")
    foreign = store.add_user_message(a, "in a")
    with pytest.raises(KeyError):
        store.add_user_message(b, "in b", parent=foreign)
    with pytest.raises(KeyError):
        store.select_branch(b, foreign)


def test_regenerate_point_refuses_a_conversation_without_prompts(store: Store) -> None:
    conv = store.create_conversation("m")
    with pytest.raises(LookupError):
        regenerate_point(store, conv)
    with pytest.raises(LookupError):
        edit_point(store, conv)


def test_a_v5_file_migrates_to_one_linear_path(tmp_path: Path) -> None:
    """A real v5 file, as rtchat 5 left it (with a second, longer conversation)."""
    path = tmp_path / "v5.db"
    build_old_database(path, 5)
    connection = sqlite3.connect(path)
    connection.execute("INSERT INTO conversations (id, title, model, created, updated) VALUES (8, 'Two turns', 'm', 5, 9)")
    for seq, (role, text) in enumerate([("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2")], start=1):
        connection.execute(
            "INSERT INTO messages (id, conversation_id, seq, role, text, status, created, updated)"
            " VALUES (?, 8, ?, ?, ?, 'complete', ?, ?)", (10 + seq, seq, role, text, 5 + seq, 5 + seq),
        )
    connection.commit()
    connection.close()
    with Store.open(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        _, messages = store.load_conversation(8)
        assert [(m.id, m.parent_id, m.on_path, m.siblings) for m in messages] == [
            (11, None, True, [11]), (12, 11, True, [12]), (13, 12, True, [13]), (14, 13, True, [14])
        ]
        assert [m.text for m in store.load_conversation(7)[1]] == ["ancient question about volcanoes", "Magma rises.", "cut off mid"]
        assert {r.id: r.message_count for r in store.list_conversations()} == {7: 3, 8: 4}
        # The migrated conversation branches like a new one, and nothing is lost.
        point = regenerate_point(store, 8)
        assert point.parent == 13
        answer(store, 8, "a2 again", parent=point.parent)
        assert texts(store, 8) == ["q1", "a1", "q2", "a2 again"]
        assert texts(store, 8, all_branches=True) == ["q1", "a1", "q2", "a2", "a2 again"]
        assert fts_is_consistent(store)


def test_a_v1_file_migrates_to_one_linear_path(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    build_old_database(path, 1)
    with Store.open(path) as store:
        _, messages = store.load_conversation(7)
        assert [m.parent_id for m in messages] == [None, 1, 2]
        store.add_user_message(7, "after the upgrade")
        assert texts(store, 7)[-1] == "after the upgrade"


def test_a_history_written_by_rtchat_5_migrates_with_nothing_lost(tmp_path: Path) -> None:
    """A file the real v5 rtchat wrote (tests/fixtures/history/README.md says how)."""
    path = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "v5.db", path)
    with sqlite3.connect(path) as before:
        assert before.execute("PRAGMA user_version").fetchone() == (5,)
        rows_before = before.execute("SELECT id, text, thinking, cost_usd, metrics FROM messages ORDER BY id").fetchall()
    with Store.open(path) as store:
        assert [(c.id, c.message_count) for c in store.list_conversations()] == [(2, 2), (1, 4)]
        _, first = store.load_conversation(1)
        assert [m.parent_id for m in first] == [None, 1, 2, 3] and all(m.on_path for m in first)
        assert first[0].attachments[0].name == "notes.txt" and first[0].attachments[0].data == b"notes about lava\n"
        assert first[1].thinking and first[1].cost_usd is not None
        after = [(m.id, m.text, m.thinking, m.cost_usd, m.metrics) for c in (1, 2) for m in store.load_conversation(c)[1]]
        assert [(i, t, c) for i, t, _, c, _ in after] == [(i, t, c) for i, t, _, c, _ in rows_before]
        assert [m.text for m in store.to_conversation(1).messages] == [r[1] for r in rows_before[:4]]
        assert [h.conversation_id for h in store.search("geysers")] == [1, 1]
        edit = edit_point(store, 1)
        store.add_user_message(1, "and hot springs", parent=edit.parent)
        assert texts(store, 1)[-1] == "and hot springs" and len(texts(store, 1, all_branches=True)) == 5
        assert fts_is_consistent(store)


def test_regenerating_an_earlier_answer_branches_there_and_keeps_what_followed(store: Store) -> None:
    conv, q1, a1 = two_turns(store)
    point = regenerate_point(store, conv, a1)
    assert point.parent == q1 and point.replaced is not None and point.replaced.id == a1
    assert [m.text for m in point.context.messages] == ["q1"]
    answer(store, conv, "a1, second take", parent=point.parent)
    assert texts(store, conv) == ["q1", "a1, second take"]
    with pytest.raises(LookupError):
        regenerate_point(store, conv, q1)  # a prompt is edited, not regenerated
    store.select_branch(conv, a1)
    assert texts(store, conv) == ["q1", "a1", "q2", "a2"]

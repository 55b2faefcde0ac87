"""An answer's tool steps in the history (schema v8): written through the real recorder and
writer thread into a real SQLite file, read back for `--continue`, reopening, regenerate, edit
and branches exactly as they were sent; kept by a `kill -9` mid-turn; found by search; and a
real v6 file (its schema from git history) upgraded with nothing lost.

The provider is the only fake (a scripted turn, as in tests/test_run_service.py): the subject
is what the history does with the turn's one Answer.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtchat.answer import fold
from rtchat.conversation import ChatMessage, Conversation, ToolCall
from rtchat.events import Done, TextDelta, ToolCallDelta, ToolCallRequest, ToolCallResult
from rtchat.history import TurnRecorder, edit_point, regenerate_point
from rtchat.run import TurnService
from rtchat.store import SCHEMA_VERSION, Store
from tests.support.answers import Feed
from tests.support.store import build_old_database, fts_is_consistent
from tests.support.tool_answers import FIRST_ARGUMENTS, SECOND_ARGUMENTS, store_tool_answer, tool_answer_events
from tests.support.turns import ScriptedTurn, anthropic_target

REPO_ROOT = Path(__file__).resolve().parent.parent
V6_SCHEMA = REPO_ROOT / "tests" / "fixtures" / "history" / "schema_v6.sql"


def quiet(text: str) -> None:
    raise AssertionError(f"unexpected warning: {text}")


async def recorded_turn(service: TurnService, conversation: Conversation, prompt: str, events, parent="leaf") -> None:
    """One prompt and its scripted answer, through the one way a turn is run and recorded."""
    conversation.add_user(prompt)
    await service.prompt(prompt, anthropic_target(), "sse", None)
    *script, done = events
    await service.run(ScriptedTurn(anthropic_target(), conversation, script, done), lambda event: None, parent)


async def tool_conversation(path: Path) -> tuple[Conversation, int]:
    """A live conversation: a tool answer, then a plain turn after it; the history closed."""
    service, live = TurnService(TurnRecorder(Store.open(path), quiet)), Conversation()
    await recorded_turn(service, live, "what time is it in Tokyo?", tool_answer_events())
    await recorded_turn(service, live, "thanks", [TextDelta("You are welcome."), Done("complete")])
    conversation_id = service.recorder.conversation_id
    service.recorder.close()
    assert conversation_id is not None
    return live, conversation_id


async def test_a_tool_answer_recorded_by_the_turn_recorder_is_resent_exactly_on_continue(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    live, conversation_id = await tool_conversation(path)
    sent = live.messages[1]
    assert [len(step.calls) for step in sent.rounds] == [2, 1], "the live answer had two tool steps"

    recorder = TurnRecorder(Store.open(path), quiet)  # `rtchat ask --continue`, the app reopening
    resumed, leaf = recorder.resume(conversation_id)
    recorder.close()
    assert resumed.messages == live.messages
    first = resumed.messages[1].rounds[0]
    assert [call.arguments for call in first.calls] == [FIRST_ARGUMENTS, SECOND_ARGUMENTS]  # byte for byte
    assert first.calls[0].extra == {"thought_signature": "c2lnbmF0dXJl/+=="} and first.calls[1].extra == {"synthetic_id": "1"}
    assert [(b.text, b.signature) for b in first.thinking] == [("Which zone? Tokyo.", "sig-step-1==")]
    assert first.text == "Let me look."
    assert [(r.call_id, r.status, r.is_error, r.ms, r.server) for r in first.results] == [
        ("call_time_1", "ok", False, 3.25, "time"), ("call_calc_1", "denied", True, None, "demo")]
    assert resumed.messages[1].text == "It is 19:00 in Tokyo."
    assert leaf is not None


async def test_regenerate_edit_and_branches_resend_the_tool_steps(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    live, conversation_id = await tool_conversation(path)
    tool_message = live.messages[1]
    with Store.open(path) as store:
        _, path_messages = store.load_conversation(conversation_id)
        tool_answer, thanks, welcome = path_messages[1], path_messages[2], path_messages[3]
        assert regenerate_point(store, conversation_id, welcome.id).context.messages[1] == tool_message
        assert edit_point(store, conversation_id, thanks.id).context.messages == live.messages[:2]
        # A regenerated tool answer is a sibling; flipping back to the stored one resends its steps.
        point = regenerate_point(store, conversation_id, tool_answer.id)
        assert point.context.messages == live.messages[:1]
        writer = store.begin_answer(conversation_id, "m", parent=point.parent)
        feed = Feed(writer)
        feed(TextDelta("No tools this time."))
        feed(Done("complete"))
        assert writer.wait() and writer.failed is None
        assert [m.rounds for m in store.to_conversation(conversation_id).messages] == [[], []]
        store.select_branch(conversation_id, tool_answer.id)
        assert store.to_conversation(conversation_id).messages == live.messages
        every = store.load_conversation(conversation_id, all_branches=True)[1]
        assert [bool(m.rounds) for m in every] == [False, True, False, False, False]


async def test_an_interrupted_tool_step_keeps_its_calls_and_resends_what_was_live(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    service, live = TurnService(TurnRecorder(Store.open(path), quiet)), Conversation()
    events = [
        ToolCallDelta(0, "call_a", "time_now", '{"zone": "UTC"}'),
        ToolCallResult("call_a", "time_now", "10:00", ms=2.0, server="time"),
        TextDelta("Checking again."),
        ToolCallDelta(0, "call_b", "time_now", '{"zone": "Europe/Paris"}', (("id", "fc_9"),)),
        Done("interrupted"),  # the user stopped the turn while call_b waited for approval
    ]
    await recorded_turn(service, live, "time?", events)
    conversation_id = service.recorder.conversation_id
    service.recorder.close()
    with Store.open(path) as store:
        answer = store.load_conversation(conversation_id)[1][1]
        assert answer.status == "interrupted"
        assert answer.open_calls == [ToolCall("call_b", "time_now", '{"zone": "Europe/Paris"}', {"id": "fc_9"}, "anthropic")]
        assert [c.id for step in answer.rounds for c in step.calls] == ["call_a"]
        assert store.to_conversation(conversation_id).messages == live.messages  # the open call is not resent
    assert live.messages[1].text == "Checking again." and len(live.messages[1].rounds) == 1


async def test_tool_rows_are_written_at_step_boundaries_only(tmp_path: Path) -> None:
    """Every flush writes the answer's row; a tool step's row only when a call appears or a
    result arrives, however much text streams around it."""
    path = tmp_path / "history.db"
    with Store.open(path, flush_interval=0) as store:
        raw = sqlite3.connect(path)  # counts every write the writer thread makes to tool_blocks
        raw.executescript(
            "CREATE TABLE tool_writes (position INTEGER);"
            "CREATE TRIGGER count_insert AFTER INSERT ON tool_blocks BEGIN INSERT INTO tool_writes VALUES (new.position); END;"
            "CREATE TRIGGER count_update AFTER UPDATE ON tool_blocks BEGIN INSERT INTO tool_writes VALUES (new.position); END;"
        )
        raw.close()
        conversation_id = store.create_conversation("m")
        store.add_user_message(conversation_id, "time?")
        writer = store.begin_answer(conversation_id, "m", provider="anthropic")
        feed = Feed(writer)
        events = tool_answer_events()
        streamed = [TextDelta(f"word {i} ") for i in range(200)]
        events = events[:4] + streamed + events[4:-1] + streamed + events[-1:]
        for event in events:
            feed(event)
            assert writer.wait(10) and writer.failed is None
        boundaries = sum(isinstance(e, ToolCallResult) or (isinstance(e, ToolCallDelta) and e.id is not None) for e in events)
        assert writer.saved >= len(events)  # every event was its own flush
        writes = [row[0] for row in sqlite3.connect(path).execute("SELECT position FROM tool_writes")]
        assert len(writes) == boundaries == 6 and writes == [0, 0, 0, 0, 1, 1]
        assert store.load_conversation(conversation_id)[1][1].rounds == list(fold(events, "anthropic").rounds)


async def test_a_call_waiting_for_approval_is_already_in_the_file_whole(tmp_path: Path) -> None:
    """The user may take minutes to approve a call: its arguments are saved when it is asked
    (a tool step boundary, through the one way turns are recorded), not at the next flush."""
    path = tmp_path / "history.db"
    service, live = TurnService(TurnRecorder(Store.open(path), quiet)), Conversation()
    in_file: list[list[ToolCall]] = []

    def show(event) -> None:
        if isinstance(event, ToolCallRequest):  # the approval card is up now
            writer = service.recorder.writer
            assert writer is not None and writer.wait(10)
            with Store.open_read_only(path) as reader:
                in_file.append(reader.load_conversation(writer.conversation_id)[1][-1].open_calls)

    live.add_user("time?")
    await service.prompt("time?", anthropic_target(), "sse", None)
    script = [
        ToolCallDelta(0, "call_a", "time_now", '{"zone"'),
        ToolCallDelta(0, None, None, ': "UTC"}'),
        ToolCallRequest("call_a", "time_now", "time", '{"zone": "UTC"}'),
    ]
    await service.run(ScriptedTurn(anthropic_target(), live, script, Done("interrupted")), show)
    service.recorder.close()
    assert in_file == [[ToolCall("call_a", "time_now", '{"zone": "UTC"}', {}, "anthropic")]]


async def test_search_finds_tool_results_and_arguments_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    _, conversation_id = await tool_conversation(path)
    with Store.open(path) as store:
        answer_id = store.load_conversation(conversation_id)[1][1].id
        [hit] = store.search("lighthouse")
        assert (hit.message_id, hit.tool, hit.role) == (answer_id, "result", "assistant")
        assert hit.snippet.startswith("tool time_now, calc result: 2026-12-07T19:00:00+09:00 [lighthouse]")
        [hit] = store.search("Asia")
        assert (hit.message_id, hit.tool) == (answer_id, "call") and hit.snippet.startswith("tool time_now, calc call: ")
        [hit] = store.search("ighthous")  # part of a word: the stemmed index cannot, the scan can
        assert (hit.message_id, hit.tool) == (answer_id, "result") and "[ighthous]e" in hit.snippet
        assert hit.snippet.startswith("tool time_now, calc result: ")
        # In the answer's words and in its arguments: one hit, for the words (and the prompt's).
        assert [(h.message_id, h.tool) for h in store.search("tokyo")] == [(answer_id, None), (answer_id - 1, None)]
        # (No index check before the delete: SQLite 3.40 fails one cascading DELETE on a connection
        # right after another one changed the schema, as the check does.)
        assert store.delete(conversation_id)
        assert store.search("lighthouse") == []
        assert fts_is_consistent(store, "tool_blocks_fts") and fts_is_consistent(store)
        assert tuple(store._conn.execute("SELECT count(*) FROM tool_blocks").fetchone()) == (0,)


# --------------------------------------------------------------------------- migration

def build_v6_file(path: Path) -> None:
    """A history as rtchat 584fba6 (schema v6) wrote it: its own schema, its own rows."""
    connection = sqlite3.connect(path)
    connection.executescript(V6_SCHEMA.read_text())
    connection.execute("PRAGMA user_version = 6")
    connection.executescript(
        """
        INSERT INTO conversations (id, title, model, protocol, system, created, updated)
            VALUES (1, 'Volcanoes', 'anthropic/claude', 'sse', 'be brief', 1.0, 5.0);
        INSERT INTO messages (id, conversation_id, seq, role, text, status, created, updated, parent_id, on_path)
            VALUES (1, 1, 1, 'user', 'why do volcanoes erupt', 'complete', 1.0, 1.0, NULL, 1);
        INSERT INTO messages (id, conversation_id, seq, role, text, thinking, thinking_text, status, finish_reason,
                              input_tokens, output_tokens, metrics, model, created, updated, cost_usd, cost_source,
                              transcript, parent_id, on_path)
            VALUES (2, 1, 2, 'assistant', 'Magma rises.',
                    '[{"text": "geology", "signature": "sig-old", "redacted": null, "provider": "anthropic"}]',
                    'geology', 'complete', 'complete', 12, 3, '{"ttft_ms": 120.5}', 'anthropic/claude', 2.0, 2.0,
                    0.0012, 'table', '', 1, 0);
        INSERT INTO messages (id, conversation_id, seq, role, text, status, finish_reason, model, created, updated,
                              parent_id, on_path)
            VALUES (3, 1, 3, 'assistant', 'Pressure builds.', 'complete', 'complete', 'anthropic/claude', 3.0, 3.0, 1, 1);
        INSERT INTO messages (id, conversation_id, seq, role, text, status, model, created, updated, parent_id, on_path)
            VALUES (4, 1, 4, 'assistant', 'cut off mid', 'streaming', 'anthropic/claude', 4.0, 4.0, 3, 1);
        INSERT INTO blobs (sha256, media_type, data) VALUES ('abc', 'text/plain', X'6C617661');
        INSERT INTO attachments (message_id, position, name, sha256) VALUES (1, 0, 'notes.txt', 'abc');
        """
    )
    connection.commit()
    connection.close()


V6_COLUMNS = (
    "id, conversation_id, seq, role, text, thinking, thinking_text, transcript, status, finish_reason, input_tokens,"
    " output_tokens, metrics, model, created, updated, cost_usd, cost_source, parent_id, on_path"
)


async def test_a_v6_history_upgrades_with_nothing_lost_and_stores_tool_steps(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    build_v6_file(path)
    before = sqlite3.connect(path)
    rows = before.execute(f"SELECT {V6_COLUMNS} FROM messages ORDER BY id").fetchall()
    others = [before.execute(f"SELECT * FROM {table}").fetchall() for table in ("conversations", "blobs", "attachments")]
    before.close()

    with Store.open(path) as store:  # today's code: migrates v6 -> v9, recovers the streaming row
        after = sqlite3.connect(path)
        assert after.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (9,)
        migrated = after.execute(f"SELECT {V6_COLUMNS} FROM messages ORDER BY id").fetchall()
        assert [row[:8] + row[9:15] + row[16:] for row in migrated] == [row[:8] + row[9:15] + row[16:] for row in rows]
        assert [r[8] for r in migrated] == ["complete", "complete", "complete", "interrupted"]  # recovered
        assert [after.execute(f"SELECT * FROM {table}").fetchall() for table in ("conversations", "blobs", "attachments")] == others
        conversation = store.to_conversation(1)
        assert [m.text for m in conversation.messages] == ["why do volcanoes erupt", "Pressure builds.", "cut off mid"]
        assert conversation.messages[0].attachments[0].data == b"lava"
        every = store.load_conversation(1, all_branches=True)[1]
        assert every[1].thinking[0].signature == "sig-old" and all(m.rounds == [] for m in every)

        # The new table works in the upgraded file: a tool answer on the old conversation.
        store.add_user_message(1, "what time is it in Tokyo?")
        writer = store_tool_answer(store, 1, provider="anthropic")
        sent = fold(tool_answer_events(), "anthropic").message()
        assert store.to_conversation(1).messages[-1] == sent
        assert [h.message_id for h in store.search("lighthouse")] == [writer.message_id]
        assert [h.message_id for h in store.search("magma")] == [2]
        assert fts_is_consistent(store) and fts_is_consistent(store, "tool_blocks_fts")


def test_an_older_file_opened_read_only_reads_and_searches_without_tool_steps(tmp_path: Path) -> None:
    """`rtchat history` in a folder it cannot write does not upgrade the file."""
    path = tmp_path / "history.db"
    build_v6_file(path)
    with Store.open_read_only(path) as reader:
        assert [m.rounds for m in reader.load_conversation(1)[1]] == [[], [], []]
        assert [h.message_id for h in reader.search("pressure")] == [3]
        assert [h.message_id for h in reader.search("ressur")] == [3]  # the part-of-a-word scan too
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (6,)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_every_earlier_schema_upgrades_to_tool_steps(tmp_path: Path, version: int) -> None:
    path = tmp_path / "history.db"
    build_old_database(path, version)
    with Store.open(path) as store:
        conversation_id = store.create_conversation("m")
        store.add_user_message(conversation_id, "time?")
        store_tool_answer(store, conversation_id)
        assert store.to_conversation(conversation_id).messages[-1] == fold(tool_answer_events(), "p").message()


# --------------------------------------------------------------------------- kill -9

CHILD = r"""
import sys, time
from rtchat.answer import AnswerBuilder
from rtchat.events import TextDelta, ToolCallDelta
from rtchat.store import Store
from tests.support.tool_answers import tool_answer_events

store = Store.open(sys.argv[1])
conv = store.create_conversation("crash-model")
store.add_user_message(conv, "what time is it in Tokyo?")
writer = store.begin_answer(conv, "crash-model", provider="anthropic")
answer = AnswerBuilder("anthropic")  # the turn's fold: the writer is handed its answer
for event in tool_answer_events()[:10]:  # the first step, its two calls and both results
    answer.apply(event)
    writer.update(answer.answer)
writer.flush()
writer.wait()
print("first step saved", flush=True)
answer.apply(ToolCallDelta(0, "call_time_2", "time_now", '{"zone":'))
writer.update(answer.answer)
writer.flush()
writer.wait()
print("second call shown", flush=True)
i = 0
while True:
    answer.apply(ToolCallDelta(0, None, None, f" {i}"))
    writer.update(answer.answer)
    i += 1
    time.sleep(0.02)  # the scenario: the second call's arguments drip in until the kill
"""


def test_kill_9_mid_turn_keeps_the_finished_tool_step(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT)
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline(), child.stdout.readline()]
        assert lines == ["first step saved\n", "second call shown\n"], child.stderr.read() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT status FROM messages WHERE role = 'assistant'").fetchall() == [("streaming",)]
    raw.close()

    first_step = fold(tool_answer_events()[:10], "anthropic")
    with Store.open(path) as store:  # recovery marks the answer interrupted; its steps stay
        answer = store.load_conversation(1)[1][1]
        assert answer.status == "interrupted"
        assert answer.rounds == list(first_step.rounds)
        assert [(c.id, c.name) for c in answer.open_calls] == [("call_time_2", "time_now")]
        assert answer.open_calls[0].arguments.startswith('{"zone":')
        resent = store.to_conversation(1).messages[-1]
        assert resent == ChatMessage("assistant", "", rounds=first_step.message().rounds)

"""A streaming answer is appended, not rewritten: bytes written grow with the answer, not its square.
Measured as what a real process hands to write(2) (/proc/PID/io `wchar`), the writer thread included."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rtchat.events import Done, TextDelta
from rtchat.store import SCHEMA_VERSION, Store
from tests.support.answers import Feed

FIXTURES = Path(__file__).parent / "fixtures" / "history"

STREAM = r"""
import sys
from pathlib import Path
from rtchat.answer import AnswerBuilder
from rtchat.events import Done, TextDelta
from rtchat.store import SCHEMA_VERSION, Store

def wchar():
    return int(next(l for l in Path("/proc/self/io").read_text().splitlines() if l.startswith("wchar:")).split()[1])

class Steps:  # every reading is one event later: a flush every 20 events
    now = 0.0
    def __call__(self):
        self.now += 0.025
        return self.now

path, size = sys.argv[1], int(sys.argv[2])
store = Store.open(path, clock=Steps())
conv = store.create_conversation("m")
store.add_user_message(conv, "go on forever")
writer = store.begin_answer(conv, "m")
fold = AnswerBuilder("m")  # the turn's fold: the writer reads its answer when a write is due
def feed(event):
    fold.apply(event)
    writer.update(fold.answer, final=isinstance(event, Done))
piece = "lorem ipsum dolor sit amet, " * 16
before = wchar()
for _ in range(size // len(piece)):
    feed(TextDelta(piece))
    writer.wait()  # every flush lands before the next: no coalescing hides the cost
feed(Done("complete"))
assert writer.wait() and writer.failed is None
store.close()
print(wchar() - before)
"""


def bytes_written(tmp_path: Path, name: str, size: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", STREAM, str(tmp_path / name), str(size)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/PID/io")
def test_streaming_writes_grow_linearly_with_the_answer(tmp_path):
    small, big = 125_000, 500_000
    written_small = bytes_written(tmp_path, "small.db", small)
    written_big = bytes_written(tmp_path, "big.db", big)
    # Appending writes a few bytes per answer byte, 4x for 4x (measured: 0.98 MB and 3.5 MB).
    # Rewriting the answer at each of its flushes (every 20 events) adds n²: about 14 MB more for
    # the big one and 0.9 MB for the small, a ratio over 9 and over 20 bytes per answer byte.
    # (Sizes kept small: the harness's own fold re-reads the answer per event, so 2 MB took 75 s.)
    assert written_big < 6 * written_small
    assert written_big < 20 * big
    with Store.open(tmp_path / "big.db") as store:
        (_, answer) = store.load_conversation(1)[1]
        assert len(answer.text) == big // 448 * 448 and answer.status == "complete"
        assert store.search("lorem")  # indexed once, when it ended


def test_an_answer_cut_mid_stream_keeps_every_chunk_and_reads_whole(tmp_path):
    path = tmp_path / "history.db"
    store = Store.open(path, flush_interval=0)
    conv = store.create_conversation("m")
    store.add_user_message(conv, "count")
    writer = store.begin_answer(conv, "m")
    feed = Feed(writer)
    for word in ("one ", "two ", "three "):
        feed(TextDelta(word))
        writer.wait()
    # Another rtchat reads it while it streams: the text so far, from the chunks.
    with Store.open_read_only(path) as reader:
        assert reader.load_conversation(conv)[1][-1].text == "one two three "
    assert sqlite3.connect(path).execute("SELECT count(*) FROM answer_chunks").fetchone() == (3,)
    store.worker.close(5)  # rtchat dies here: the row is left streaming, its text in chunks
    with Store.open(path) as reopened:  # recovery joins the chunks into the text
        answer = reopened.load_conversation(conv)[1][-1]
        assert (answer.text, answer.status) == ("one two three ", "interrupted")
        assert [h.message_id for h in reopened.search("three")] == [answer.id]
    assert sqlite3.connect(path).execute("SELECT count(*) FROM answer_chunks").fetchone() == (0,)


def test_every_earlier_schema_upgrades_to_chunked_answers(tmp_path):
    path = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "v5.db", path)
    with Store.open(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        feed = Feed(store.begin_answer(1, "m"))
        feed(TextDelta("after the upgrade"))
        feed(Done("complete"))
        writer = feed.writer
        assert writer.wait() and writer.failed is None
        assert store.load_conversation(1)[1][-1].text == "after the upgrade"

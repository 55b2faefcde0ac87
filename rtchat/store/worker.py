"""The one thread that writes a Store's file, on a connection only it touches.

Why a thread: a write can wait up to the busy timeout for another program's lock
(a second rtchat, a database browser). Here that wait never stalls the event loop;
the streaming writer only hands over snapshots. Jobs run one at a time in the order
given, so a prompt is never written before the answer that came earlier.

Why its own connection: sharing the readers' connection under a lock would make
every read wait behind a blocked write. This one is created on the thread and keeps
sqlite3's check_same_thread guard, so nothing else can use it by mistake.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from rtchat.store.connection import connect
from rtchat.store.errors import StoreError

R = TypeVar("R")
Job = Callable[[sqlite3.Connection], object]
WORK_CAP_S = 120.0  # close() waits at most this long for writes that are working, not waiting


class WriteWorker:
    def __init__(self, path: str, busy_timeout: float) -> None:
        self.path = path
        self._jobs: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        self._closed = False
        self._waiting_for_lock = False  # set on the writer thread by its statement trace
        opened: Future[None] = Future()
        # Daemon: a write stuck behind another program's lock must not keep rtchat from
        # exiting; close() has already waited for it as long as is reasonable.
        self._thread = threading.Thread(
            target=self._run, args=(busy_timeout, opened), name="rtchat-history-writer", daemon=True
        )
        self._thread.start()
        opened.result()  # the StoreError, if the file cannot be opened for writing

    def submit(self, job: Callable[[sqlite3.Connection], R]) -> Future[R]:
        """Queue `job(connection)` for the writer thread; returns at once."""
        if self._closed:
            raise StoreError(f"The chat history at {self.path} is already closed.", path=self.path)
        future: Future[R] = Future()
        self._jobs.put((job, future))
        return future

    def run(self, job: Callable[[sqlite3.Connection], R]) -> R:
        """Run `job` on the writer thread and wait for its result (or its exception)."""
        return self.submit(job).result()

    def close(self, timeout: float | None) -> bool:
        """Finish the queued jobs, then close; False if they waited for a lock `timeout` s.

        Why only lock waits count: writing a 60 MB answer (and indexing it) can take longer
        than any fixed wait without ever waiting for a lock; giving up on it said "still
        locked; may not be saved" about an answer that was being saved. In WAL mode a write
        waits for another program only in BEGIN IMMEDIATE, so time spent after it is work.
        WORK_CAP_S still bounds a write that never ends (a hung network disk)."""
        if not self._closed:
            self._closed = True
            self._jobs.put(None)
        if timeout is None:
            self._thread.join()
            return True
        waited = 0.0
        worked_until = time.monotonic() + WORK_CAP_S
        while self._thread.is_alive() and waited <= timeout and time.monotonic() < worked_until:
            began = time.monotonic()
            self._thread.join(min(0.05, timeout))
            if self._waiting_for_lock:
                waited += time.monotonic() - began
        return not self._thread.is_alive()

    def _traced(self, statement: str) -> None:
        """Each statement the writer's connection starts: is it the one that waits for the lock?"""
        self._waiting_for_lock = statement.startswith("BEGIN IMMEDIATE")

    def _run(self, busy_timeout: float, opened: Future[None]) -> None:
        try:
            conn = connect(self.path, busy_timeout)
        except StoreError as exc:
            opened.set_exception(exc)
            return
        conn.set_trace_callback(self._traced)
        opened.set_result(None)
        try:
            while (item := self._jobs.get()) is not None:
                job, future = item
                try:
                    result = job(conn)
                except Exception as exc:  # noqa: BLE001 - handed to whoever waits on the job
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                self._waiting_for_lock = False
        finally:
            conn.close()


class ReadOnlyWorker:
    """Stands in for the writer of a history opened read-only: every write is refused."""

    def __init__(self, path: str) -> None:
        self.path = path

    def submit(self, job: Callable[[sqlite3.Connection], R]) -> Future[R]:
        raise StoreError(f"The chat history at {self.path} is open read-only for this run.", path=self.path, problem="unwritable")

    def run(self, job: Callable[[sqlite3.Connection], R]) -> R:
        return self.submit(job).result()

    def close(self, timeout: float | None) -> bool:
        return True

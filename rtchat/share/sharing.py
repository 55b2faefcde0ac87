"""`Sharing`: one source captured at a steady rate on its own thread, frames handed on.

Capture and JPEG encoding take milliseconds of CPU that must never stall the event loop
(the answer streams there), so they run on a worker thread; each frame is handed to the
loop with `call_soon_threadsafe`. Whoever sends frames subscribes (`on_frame`): a Live
session streams each one; Realtime and HTTP turns take the latest with the user's turn
(`take_for_turn`). Nothing starts sharing but an explicit command.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Protocol

from rtchat.attachments import Attachment
from rtchat.share.frames import Frame, ScaleRule, encode
from rtchat.share.limits import DEFAULT_FPS
from rtchat.share.request import ShareError, ShareRequest

FrameCallback = Callable[[Frame], None]


class FrameSource(Protocol):
    """A screen, a camera or a video file: opened and read on the sharing thread."""

    kind: str

    def open(self) -> None: ...  # ShareError (one line) when it cannot

    def grab(self, rule: ScaleRule): ...  # a PIL image, fitted to `rule` where the source can do it cheaply

    def close(self) -> None: ...


def source_for(request: ShareRequest) -> FrameSource:
    """The source a parsed `/share` names (not opened yet)."""
    if request.kind == "screen":
        from rtchat.share.screen import ScreenSource  # noqa: PLC0415 - its module is small, but keeps mss off the import path

        return ScreenSource(request.monitor, request.region)
    from rtchat.share.video import CameraSource, FileSource  # noqa: PLC0415 - as above, for PyAV

    if request.kind == "camera":
        return CameraSource(request.device)
    if request.kind == "file" and request.path:
        return FileSource(request.path)
    raise ShareError(f"nothing to share for {request.kind!r}")


def frames(count: int) -> str:
    """A frame count as the status line and the share's notes say it: "1 frame", "14 frames"."""
    return f"{count} frame{'s' if count != 1 else ''}"


class Sharing:
    """A running share. `fps` is the rate asked for, capped at `max_fps` (the provider's).

    `frames_sent` counts frames that went to the model (streamed, or taken with a turn);
    `frames_captured` every frame made. `error` is the one line that stopped it, if any."""

    def __init__(self, request: ShareRequest, source: FrameSource | None = None, fps: float = DEFAULT_FPS, max_fps: float = DEFAULT_FPS, scale: ScaleRule | None = None, max_bytes: int | None = None) -> None:
        if fps <= 0:
            raise ShareError(f"a frame rate must be above 0 (got {fps:g})")
        self.request = request
        self.source = source if source is not None else source_for(request)
        self.kind = self.source.kind
        self.asked_fps = fps
        self.fps = min(fps, max_fps)
        self.scale = scale or ScaleRule()
        self.max_bytes = max_bytes  # a frame's JPEG at most this big (a WebRTC data channel's message)
        self.frames_captured = 0
        self.frames_sent = 0
        self.error: str | None = None
        self.note = ""  # where the frames go, said once when sharing starts (Session.start_share sets it)
        self.capture_ms: list[float] = []  # grab + scale + encode, per frame (the bench reads it)
        self.capture_cpu_ms: list[float] = []  # the same in the sharing thread's own CPU time (a loaded machine stretches the wall time, not this)
        self.sent_ms: list[float] = []  # capture began -> written to the socket, per streamed frame
        self._subscribers: list[FrameCallback] = []
        self._stopped_callbacks: list[Callable[[Sharing], None]] = []
        self._latest: Frame | None = None
        self._taken_index = 0  # the last frame a turn took: the same frame is not sent twice
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.done = asyncio.Event()  # set once the thread has ended (stopped or failed)
        self._changed = asyncio.Event()  # a frame was made or sent, or sharing ended (`until`)

    # ---- who listens

    def on_frame(self, callback: FrameCallback) -> Callable[[], None]:
        """Call `callback(frame)` on the event loop for each new frame; returns the unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def on_stopped(self, callback: Callable[[Sharing], None]) -> None:
        """Call `callback(self)` on the loop when sharing ends (by `stop()` or an error: see `error`)."""
        self._stopped_callbacks.append(callback)

    @property
    def running(self) -> bool:
        return self._thread is not None and not self.done.is_set() and not self._stop.is_set()

    @property
    def status(self) -> str:
        """What the status line shows: "sharing screen · 1 fps · 14 frames"."""
        rate = f"{self.fps:g} fps"
        return f"sharing {self.request.label} · {rate} · {frames(self.frames_sent)}"

    @property
    def rate_note(self) -> str | None:
        """One line when the rate asked for was over the provider's limit (None otherwise)."""
        if self.asked_fps <= self.fps:
            return None
        return f"{self.asked_fps:g} fps asked; this model takes at most {self.fps:g} per second, so frames go at {self.fps:g} fps"

    def latest(self) -> Frame | None:
        return self._latest

    def mark_sent(self, frame: Frame) -> None:
        """A frame went to the model (a Live session streamed it)."""
        self.sent_ms.append((time.monotonic() - frame.captured_at) * 1000)
        self.frames_sent += 1
        self._changed.set()

    async def until(self, condition: Callable[[Sharing], bool]) -> None:
        """Wait until `condition(self)` holds (checked at each frame made or sent); ShareError
        when sharing ends first."""
        while not condition(self):
            if self.done.is_set():
                raise ShareError(self.error or f"sharing the {self.kind} stopped")
            self._changed.clear()
            await self._changed.wait()

    def take_for_turn(self) -> Attachment | None:
        """The latest frame as an image attachment for a user turn (Realtime, HTTP), counted as
        sent; None when there is no frame newer than the one the last turn took."""
        frame = self._latest
        if frame is None or frame.index == self._taken_index:
            return None
        self._taken_index = frame.index
        self.frames_sent += 1
        self._changed.set()
        return frame.attachment(self.kind)

    # ---- running

    async def start(self) -> None:
        """Open the source and capture the first frame; ShareError (one line) when it cannot.
        Frames then keep coming at `fps` until `stop()`."""
        self._loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(target=self._run, args=(opened,), name=f"rtchat-share-{self.kind}", daemon=True)
        self._thread.start()
        try:
            await opened
        except asyncio.CancelledError:  # the caller gave up waiting: the thread must not run on unowned
            self.stop()
            raise

    def stop(self) -> None:
        """Stop capturing (the thread ends within one frame's work); safe to call twice."""
        self._stop.set()

    async def aclose(self) -> None:
        self.stop()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)

    def _run(self, opened: asyncio.Future[None]) -> None:
        try:
            self.source.open()
            self._capture(time.monotonic())  # the first frame before start() returns: a dead source fails here
        except ShareError as exc:
            self._post(_settle, opened, exc)
            self._finish(None)
            return
        except Exception as exc:  # a library's own error: one line all the same
            self._post(_settle, opened, ShareError(f"cannot share the {self.kind}: {exc}"))
            self._finish(None)
            return
        self._post(_settle, opened, None)
        started = time.monotonic()
        number = 1
        error: str | None = None
        while True:
            due = started + number / self.fps
            if self._stop.wait(max(0.0, due - time.monotonic())):
                break
            try:
                self._capture(time.monotonic())
            except ShareError as exc:
                error = str(exc)
                break
            except Exception as exc:
                error = f"sharing the {self.kind} stopped: {exc}"
                break
            number += 1
            if time.monotonic() - due > 1 / self.fps:  # fell a whole frame behind (a slow machine): skip, never burst
                started, number = time.monotonic(), 1
        self._finish(error)

    def _capture(self, now: float) -> None:
        cpu = time.thread_time()
        image = self.source.grab(self.scale)
        frame = encode(image, self.scale, self.frames_captured + 1, now, max_bytes=self.max_bytes)
        self.capture_ms.append((time.monotonic() - now) * 1000)
        self.capture_cpu_ms.append((time.thread_time() - cpu) * 1000)
        self.frames_captured += 1
        self._latest = frame
        self._post(self._deliver, frame)

    def _deliver(self, frame: Frame) -> None:
        self._changed.set()
        if self._stop.is_set():
            return
        for callback in list(self._subscribers):
            callback(frame)

    def _finish(self, error: str | None) -> None:
        try:
            self.source.close()
        except Exception:
            pass
        self.error = error
        self._post(self._ended)

    def _post(self, callback: Callable, *args: object) -> None:
        """Run `callback(*args)` on the event loop; nothing when the loop has closed (the
        program is ending: the thread only has to stop)."""
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            self._stop.set()

    def _ended(self) -> None:
        self.done.set()
        self._changed.set()
        for callback in list(self._stopped_callbacks):
            callback(self)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)

"""Sharing the screen, a camera or a video file with the model (`/share`), always in sight.

Nothing starts a share but the user's own command (`/share ...`, the palette, or the share
key, which only puts `/share ` in the input). While a share runs the status line leads with a
red "sharing screen · 1 fps · 14 frames", the input's border turns red and the footer shows
the stop key. A share stops on `/share off` or the stop key, on ctrl+c twice, when the model,
protocol or conversation changes, when its source fails, and when the app ends; each stop is
recorded in the conversation's history (source and frames sent). The capture, pacing and
sending are `rtchat.share` and `Session.start_share`'s; this is the app's side.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from rtchat.attachments import Attachment
from rtchat.events import Notice
from rtchat.session import Session
from rtchat.share import Camera, ShareError, Sharing, frames, list_cameras, parse_share
from rtchat.store import ShareRecord, StoreError
from rtchat.ui.controllers.history import HistoryController
from rtchat.ui.controllers.state import ChatState
from rtchat.ui.widgets.input.prompt_input import PromptInput
from rtchat.ui.widgets.status.status_line import StatusLine

TWICE_S = 3.0  # two ctrl+c within this long stop a share
Notify = Callable[..., None]


class ShareController:
    def __init__(
        self,
        state: ChatState,
        session: Session,
        history: HistoryController,
        status: StatusLine,
        prompt: PromptInput,
        *,
        notify: Notify,
        show_notice: Callable[[Notice], Coroutine[Any, Any, None]],
        spawn: Callable[[Coroutine[Any, Any, Any]], object],
        keys_changed: Callable[[], None],
        stop_key: Callable[[], str],
        voice_link: Callable[[], object | None] = lambda: None,
    ) -> None:
        self.state = state
        self.session = session
        self.history = history
        self.status = status
        self.prompt = prompt
        self.notify = notify
        self.show_notice = show_notice
        self.spawn = spawn
        self.keys_changed = keys_changed
        self.stop_key = stop_key
        self.voice_link = voice_link  # the open voice session's link (None outside voice mode)
        self._handed: tuple[object, Sharing, Callable[[], None]] | None = None  # (link, share, undo) given to voice
        self.camera: str | None = None  # chosen in the camera picker: what `/share camera` opens
        self.list_cameras: Callable[[], list[Camera]] = list_cameras  # the machine's (tests give theirs)
        self.now: Callable[[], float] = time.monotonic  # the ctrl+c-twice clock
        self._for: tuple[str, str] | None = None  # the (model, protocol) the share was started for
        self._started = 0.0  # wall clock, for the history
        self._first_ctrl_c: float | None = None
        self._told: set[str] = set()  # the notes said so far ("... takes images, not video: ..."): each once

    @property
    def sharing(self) -> Sharing | None:
        """The share running now, if any."""
        return self.session.sharing

    @property
    def active(self) -> bool:
        return self.session.sharing is not None

    # --- starting and stopping ----------------------------------------------------------------

    async def use(self, typed: str, web: bool = False) -> str | None:
        """`/share screen|camera|FILE|off`: the one line that says why not, else None. `web`: the app
        runs for a browser, so the screen and camera are the server machine's (said as it starts)."""
        try:
            request = parse_share(typed)
        except ShareError as exc:
            return str(exc)
        if request.kind == "off":
            if not self.active:
                return "nothing is being shared"
            await self.stop("sharing stopped")
            return None
        target, protocol = self.state.target, self.state.protocol
        if target is None:
            return "no model is selected yet"
        refusal = self.session.share_refusal(target, protocol)
        if refusal is not None:
            return refusal
        if request.kind == "camera" and request.device is None and self.camera is not None:
            request = replace(request, device=self.camera)
        await self.stop(None)  # one share at a time: the old one is recorded first
        try:
            sharing = await self.session.start_share(request, target, protocol, self.state.conversation)
        except ShareError as exc:
            return str(exc)
        self._for, self._started = (target.ref, protocol), time.time()
        if (self.state.ref, self.state.protocol) != self._for:  # changed while the source opened: not for this one
            await self.stop(None)
            return "the model or protocol changed while sharing started; nothing is shared (/share again)"
        sharing.on_stopped(self._source_ended)
        self.show()
        whose = " (the server machine's, where rtchat runs: not your browser's)" if web and request.kind in ("screen", "camera") else ""
        self.notify(f"{sharing.status}{whose}; {self.stop_key()} or /share off stops it", markup=False, timeout=4)
        if sharing.note and sharing.note not in self._told:  # where the frames go: said once, where the turns are
            self._told.add(sharing.note)
            await self.show_notice(Notice(sharing.note))
        return None

    async def stop(self, said: str | None, severity: str = "information") -> None:
        """Stop the share (if any), record it in the history, and say `said` (None: quietly)."""
        sharing = self.session.sharing
        if sharing is None:
            return
        record = ShareRecord(sharing.kind, sharing.request.label, sharing.fps, sharing.frames_sent, self._started, time.time())
        self._for, self._first_ctrl_c = None, None
        self._take_from_voice()
        await self.session.stop_share()
        self.show()
        if said:
            self.notify(f"{said} ({frames(record.frames)} sent)", severity=severity, markup=False, timeout=4)
        await asyncio.to_thread(self.history.recorder.share, record)

    async def recall(self, conversation_id: int) -> None:
        """A reopened conversation says what was shared in it before (the frames themselves are not kept)."""
        store = self.history.store
        if store is None:
            return
        try:
            past = await asyncio.to_thread(store.shares, conversation_id)
        except StoreError:
            return
        if past:
            said = ", ".join(f"{share.label} ({frames(share.frames)})" for share in past)
            await self.show_notice(Notice(f"shared with the model in this conversation: {said}"))

    def _source_ended(self, sharing: Sharing) -> None:
        """The source stopped by itself (a camera unplugged, the display gone): said in one line."""
        if sharing is self.session.sharing:
            self.spawn(self.stop(sharing.error or f"sharing the {sharing.kind} ended", severity="warning"))

    def follow_choice(self) -> None:
        """The model or protocol changed: a share started for another one stops."""
        current = (self.state.ref, self.state.protocol)
        if self._for is not None and current != self._for:
            self.spawn(self.stop("sharing stopped: the model or protocol changed"))

    def interrupt(self) -> bool:
        """ctrl+c: the second within `TWICE_S` while sharing stops the share (True then)."""
        if not self.active:
            return False
        now, first = self.now(), self._first_ctrl_c
        if first is not None and now - first <= TWICE_S:
            self._first_ctrl_c = None
            self.spawn(self.stop("sharing stopped (ctrl+c twice)"))
            return True
        self._first_ctrl_c = now
        self.notify(f"sharing goes on: ctrl+c again stops it ({self.stop_key()} too)", markup=False, timeout=TWICE_S)
        return False

    # --- what goes with a turn, what is on screen ------------------------------------------

    def frame_for_turn(self) -> Attachment | None:
        """The latest frame, as the image chip a typed prompt takes (HTTP and Realtime turns)."""
        return self.session.frame_for_turn()

    def follow_voice(self) -> None:
        """Voice mode gets the running share (a Live link streams its frames; a Realtime link takes
        the latest with each spoken turn), whichever of the two opened first; asked on every tick."""
        link, sharing = self.voice_link(), self.session.sharing
        handed = self._handed
        if handed is not None and (handed[0] is not link or handed[1] is not sharing):
            self._take_from_voice()
        if link is not None and sharing is not None and self._handed is None:
            self._handed = (link, sharing, self.session.share_into_voice(link))

    def _take_from_voice(self) -> None:
        handed, self._handed = self._handed, None
        if handed is not None:
            handed[2]()

    def show(self) -> None:
        """The red indicator, the input's red border, and the stop key in the footer."""
        self.follow_voice()
        sharing = self.session.sharing
        was = self.status.sharing is not None
        self.status.show_sharing(sharing.status if sharing is not None else None)
        self.prompt.set_class(sharing is not None, "-sharing")
        if was != (sharing is not None):
            self.keys_changed()

"""Files waiting to go with the next typed prompt, checked against the current model.

Checked twice: when attached (so a refusal comes at once) and again when sent
(the model or protocol may have changed in between), both times by the one gate
`ask` asks too (`session.attachment_problem`). Each refusal is one line. A file
is read on a thread, at most `READ_LIMIT` bytes of a regular file: the caller
awaits `add` from a worker, never from the input's own handler.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from rtchat.attachments import Attachment, AttachmentError, load, pasted
from rtchat.errors import InputFailure
from rtchat.session import attachment_problem
from rtchat.ui.controllers.state import ChatState


def hashed(make, *args) -> Attachment:
    """An attachment made and hashed on this (worker) thread: the loop only compares hashes."""
    attachment = make(*args)
    attachment.sha256  # noqa: B018 - cached on the attachment
    return attachment


class PendingFiles:
    def __init__(self, state: ChatState) -> None:
        self.state = state
        self.files: list[Attachment] = []
        self.pastes = 0  # large pastes taken as files so far: paste.txt, paste-2.txt, ...

    async def add(self, typed: str) -> str | None:
        """Attach the file at `typed` (`~` expanded); the one line that says why not, else None."""
        try:
            attachment = await asyncio.to_thread(hashed, load, os.path.expanduser(typed.strip()))
        except AttachmentError as exc:
            return str(exc)
        return self._keep(attachment)

    async def add_paste(self, text: str) -> str | None:
        """A paste too large for the input, as a text file; the one line that says why not, else None."""
        attachment = await asyncio.to_thread(hashed, pasted, text, self.pastes + 1)
        problem = self._keep(attachment)
        if problem is None:
            self.pastes += 1
        return problem

    async def add_image(self, read: Callable[[], Attachment]) -> str | None:
        """An image read by `read` (the clipboard's), on a thread; the one line that says why not, else None."""
        try:
            attachment = await asyncio.to_thread(hashed, read)
        except InputFailure as exc:
            return str(exc)
        return self._keep(attachment)

    def _keep(self, attachment: Attachment) -> str | None:
        if any(a.sha256 == attachment.sha256 for a in self.files):
            return f"{attachment.name} is already attached"
        problem = self.problem(attachment)
        if problem is None:
            self.files.append(attachment)
        return problem

    def problem(self, attachment: Attachment) -> str | None:
        """Why the current model and protocol cannot take this file (None when they can)."""
        target = self.state.target
        return None if target is None else attachment_problem(attachment, target, self.state.protocol)

    def first_problem(self) -> str | None:
        return next((p for p in map(self.problem, self.files) if p), None)

    def remove(self, index: int) -> Attachment | None:
        return self.files.pop(index) if 0 <= index < len(self.files) else None

    def take(self) -> list[Attachment]:
        files, self.files = self.files, []
        return files

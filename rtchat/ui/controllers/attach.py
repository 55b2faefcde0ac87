"""Files waiting to go with the next typed prompt, checked against the current model.

Checked twice: when attached (so a refusal comes at once) and again when sent
(the model or protocol may have changed in between). Each refusal is one line.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from rtchat.attachments import Attachment, AttachmentError, human_size, load, problem_for, socket_problem
from rtchat.ui.controllers.state import ChatState

LARGEST = 64 * 2**20  # no provider takes more inline: a bigger file is refused before it is read


class PendingFiles:
    def __init__(self, state: ChatState) -> None:
        self.state = state
        self.files: list[Attachment] = []

    async def add(self, typed: str) -> str | None:
        """Attach the file at `typed` (`~` expanded); the one line that says why not, else None."""
        path = Path(os.path.expanduser(typed.strip()))
        if path.is_dir():
            return f"{typed.strip()} is a folder; attach the files in it one by one"
        try:
            size = path.stat().st_size
        except OSError as exc:
            return f"cannot read {typed.strip()}: {exc.strerror or exc}"
        if size > LARGEST:
            return f"{path.name} is {human_size(size)}, over the {human_size(LARGEST)} any provider takes inline"
        try:
            attachment = await asyncio.to_thread(load, str(path))
        except AttachmentError as exc:
            return str(exc)
        if any(a.sha256 == attachment.sha256 for a in self.files):
            return f"{attachment.name} is already attached"
        problem = self.problem(attachment)
        if problem is None:
            self.files.append(attachment)
        return problem

    def problem(self, attachment: Attachment) -> str | None:
        """Why the current model and protocol cannot take this file (None when they can)."""
        target = self.state.target
        if target is None:
            return None
        if self.state.protocol != "sse":
            from rtchat.live.pool import socket_wire_for  # noqa: PLC0415 - the socket stack loads with the first socket turn

            problem = socket_problem(attachment, socket_wire_for(target, self.state.protocol), target.provider.realtime_dialect)
            if problem:
                return problem
        return problem_for(attachment, target.provider.wire, target.info.accepts, target.ref)

    def first_problem(self) -> str | None:
        return next((p for p in map(self.problem, self.files) if p), None)

    def remove(self, index: int) -> Attachment | None:
        return self.files.pop(index) if 0 <= index < len(self.files) else None

    def take(self) -> list[Attachment]:
        files, self.files = self.files, []
        return files

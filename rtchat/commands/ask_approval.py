"""Who approves `rtchat ask`'s tool calls: the `--approve-tools` flag, the user at the terminal,
or nobody (no terminal, no flag: every call denied, with one line naming the flag).

The terminal is asked on /dev/tty, never on stdout: stdout carries the answer (or `--jsonl`) that
a script reads, and a prompt there would corrupt it. The reply is read with the event loop's
reader on the tty, not in a thread, so Ctrl-C (which cancels the turn) also ends the question at
once and leaves no thread blocked on a read. The call's arguments are the model's words: shown
inert and shortened to one line.
"""

from __future__ import annotations

import asyncio
import os
import sys

from rtchat.commands.printers import one_line, tool_name
from rtchat.tools.approval import Decision, ToolRequest

ANSWERS = {"y": Decision.ONCE, "yes": Decision.ONCE, "a": Decision.ALWAYS, "always": Decision.ALWAYS, "n": Decision.DENY, "no": Decision.DENY, "": Decision.DENY}


class AllowAll:
    """`--approve-tools`: the user allowed every call of this run when they typed the flag."""

    async def decide(self, request: ToolRequest) -> Decision:
        return Decision.ONCE


class DenyAll:
    """No terminal to ask on and no flag: each call is denied, saying how to allow it."""

    async def decide(self, request: ToolRequest) -> Decision:
        sys.stderr.write(f"rtchat: tool call {tool_name(request.tool, request.server)} denied: no terminal to ask on; pass --approve-tools to allow the calls of this run\n")
        sys.stderr.flush()
        return Decision.DENY


class TerminalApprover:
    """Asks on the controlling terminal: "allow time.now {"zone":"UTC"}? [y]es / [a]lways / [n]o".

    The terminal is opened at the first call (a run the model calls no tool in never touches
    it); with none to open, each call is denied as `DenyAll` says. Enter alone (or the end of
    input) denies: a call runs only on a yes."""

    def __init__(self, path: str = "/dev/tty") -> None:
        self.path = path
        self.fd: int | None = None
        self._tried = False
        self._without = DenyAll()
        self._pending = b""

    def _open(self) -> int | None:
        if not self._tried:
            self._tried = True
            try:
                self.fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
            except OSError:  # no controlling terminal (cron, CI, a detached session)
                return None
            os.set_blocking(self.fd, False)
        return self.fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    async def decide(self, request: ToolRequest) -> Decision:
        fd = self._open()
        if fd is None:
            return await self._without.decide(request)
        question = f"allow {tool_name(request.tool, request.server)} {one_line(request.call.arguments)}? [y]es / [a]lways / [n]o "
        while True:
            self._write(fd, question)
            reply = await self._read_line(fd)
            if reply is None:
                self._write(fd, "\n")
                return Decision.DENY
            decision = ANSWERS.get(reply.strip().lower())
            if decision is not None:
                return decision

    @staticmethod
    def _write(fd: int, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                continue

    async def _read_line(self, fd: int) -> str | None:
        """One line typed on the terminal (None at its end), without blocking the loop."""
        loop = asyncio.get_running_loop()
        while b"\n" not in self._pending:
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
            try:
                await ready
            finally:
                loop.remove_reader(fd)
            try:
                chunk = os.read(fd, 1024)
            except BlockingIOError:
                continue
            except OSError:  # the terminal went away (hangup)
                return None
            if not chunk:
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode("utf-8", "replace")

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
from typing import TextIO

from rtchat.commands.printers import one_line, tool_name
from rtchat.tools.approval import Decision, ToolRequest

ANSWERS = {"y": Decision.ONCE, "yes": Decision.ONCE, "a": Decision.ALWAYS, "always": Decision.ALWAYS, "n": Decision.DENY, "no": Decision.DENY, "": Decision.DENY}


class AllowAll:
    """`--approve-tools`: the user allowed every call of this run when they typed the flag."""

    async def decide(self, request: ToolRequest) -> Decision:
        return Decision.ONCE


class DenyAll:
    """No terminal to ask on and no flag: each call is denied, saying how to allow it."""

    def __init__(self, err: TextIO | None = None) -> None:
        self.err = err

    async def decide(self, request: ToolRequest) -> Decision:
        err = self.err or sys.stderr
        err.write(f"rtchat: tool call {tool_name(request.tool, request.server)} denied: no terminal to ask on; pass --approve-tools to allow the calls of this run\n")
        err.flush()
        return Decision.DENY


class TerminalApprover:
    """Asks on the controlling terminal: "allow time.now {"zone":"UTC"}? [y]es / [a]lways / [n]o".

    Enter alone (or end of input) denies: a call runs only on a yes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._pending = b""

    @classmethod
    def open(cls) -> TerminalApprover | None:
        """The approver of this process's terminal; None when it has none."""
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return None
        os.set_blocking(fd, False)
        return cls(fd)

    def close(self) -> None:
        os.close(self.fd)

    async def decide(self, request: ToolRequest) -> Decision:
        question = f"allow {tool_name(request.tool, request.server)} {one_line(request.call.arguments)}? [y]es / [a]lways / [n]o "
        while True:
            self._write(question)
            reply = await self._read_line()
            if reply is None:
                self._write("\n")
                return Decision.DENY
            decision = ANSWERS.get(reply.strip().lower())
            if decision is not None:
                return decision

    def _write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:
                continue

    async def _read_line(self) -> str | None:
        """One line typed on the terminal (None at its end), without blocking the loop."""
        loop = asyncio.get_running_loop()
        while b"\n" not in self._pending:
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(self.fd, lambda: ready.done() or ready.set_result(None))
            try:
                await ready
            finally:
                loop.remove_reader(self.fd)
            try:
                chunk = os.read(self.fd, 1024)
            except BlockingIOError:
                continue
            except OSError:  # the terminal went away (hangup)
                return None
            if not chunk:
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode("utf-8", "replace")


def ask_approver(approve_all: bool) -> tuple[AllowAll | DenyAll | TerminalApprover, TerminalApprover | None]:
    """The approver of an `ask` run, and the terminal to close after it (if one was opened)."""
    if approve_all:
        return AllowAll(), None
    terminal = TerminalApprover.open()
    return (terminal, terminal) if terminal is not None else (DenyAll(), None)

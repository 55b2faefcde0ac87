"""`rtchat serve`: the loopback reference server in the foreground."""

from __future__ import annotations

import os
import sys
import threading

from rtchat.commands.common import fail

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def end_with_parent() -> None:
    """Exit once stdin (a pipe from the parent) closes: the parent has ended, however it ended."""
    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def run_serve(args) -> int:
    if args.host not in LOOPBACK_HOSTS:
        return fail(f"the loopback server binds to loopback addresses only (127.0.0.1 or ::1), not {args.host}")
    from rtchat.loopback import run_forever  # deferred: aiohttp, once the address is known to be a loopback one

    if getattr(args, "with_parent", False):
        end_with_parent()
    try:
        run_forever(host=args.host, port=args.port)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return 0

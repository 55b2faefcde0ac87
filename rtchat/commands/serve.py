"""`rtchat serve`: the loopback reference server in the foreground."""

from __future__ import annotations

from rtchat.commands.common import fail

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def run_serve(args) -> int:
    if args.host not in LOOPBACK_HOSTS:
        return fail(f"the loopback server binds to loopback addresses only (127.0.0.1 or ::1), not {args.host}")
    from rtchat.loopback import run_forever

    try:
        run_forever(host=args.host, port=args.port)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return 0

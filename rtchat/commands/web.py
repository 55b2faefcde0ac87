"""`rtchat web`: the app in browser tabs, one rtchat process per tab, for whoever holds the printed URL."""

from __future__ import annotations

import argparse
import ssl
import sys
import threading
import webbrowser

from rtchat.commands.common import fail, load_config_or_report
from rtchat.web.address import AddressRefused, plan_listen


def add_web_parser(sub) -> None:
    """The `web` subcommand's arguments (kept here so cli.py only wires it in)."""
    web = sub.add_parser("web", help="serve the app to browser tabs (loopback only unless --allow-remote)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; another than loopback needs --allow-remote)")
    web.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0: any free one)")
    web.add_argument("--open", dest="open_browser", action="store_true", help="open the address in the default browser")
    web.add_argument("--allow-remote", action="store_true", help="allow a --host other machines can reach (plain HTTP unless --certfile/--keyfile)")
    web.add_argument("--certfile", help="serve HTTPS with this certificate (PEM), with --keyfile")
    web.add_argument("--keyfile", help="the certificate's private key (PEM)")
    web.add_argument("-m", "--model", dest="web_model", metavar="PROVIDER/MODEL", help="the model each tab starts with (default: as the app picks)")


def app_argv(args: argparse.Namespace) -> list[str]:
    """What each tab runs: this same rtchat, with the options given for the app."""
    argv = [sys.executable, "-m", "rtchat"]
    model = getattr(args, "web_model", None) or args.model
    if model:
        argv += ["--model", model]
    for flag, value in (("--protocol", args.protocol), ("--theme", args.theme)):
        if value:
            argv += [flag, value]
    if args.debug:
        argv.append("--debug")
    return argv


def open_in_browser(url: str) -> None:
    """In a thread: some browsers' launchers wait for the browser to end."""
    def launch() -> None:
        if not webbrowser.open(url):
            print("rtchat web: no browser to open here; open the address above yourself", file=sys.stderr)

    threading.Thread(target=launch, daemon=True, name="open-browser").start()


def run_web(args: argparse.Namespace) -> int:
    config = load_config_or_report()
    if config is None:
        return 2
    try:
        listen = plan_listen(args.host, args.port, allow_remote=args.allow_remote, certfile=args.certfile, keyfile=args.keyfile)
    except AddressRefused as exc:
        return fail(str(exc))
    try:
        from rtchat.web.guard import new_secret  # deferred: aiohttp and textual-serve load for this command only; a missing one is one line
        from rtchat.web.server import WebServer, serve, tls_context
    except ImportError as exc:
        return fail(f"rtchat web is not available: {exc}")
    tls = None
    if args.certfile:
        try:
            tls = tls_context(args.certfile, args.keyfile)
        except (OSError, ssl.SSLError) as exc:
            return fail(f"cannot serve HTTPS with {args.certfile} and {args.keyfile}: {getattr(exc, 'strerror', None) or exc}")

    def ready(url: str) -> None:
        print(f"rtchat web: open {url}", flush=True)
        for warning in listen.warnings:
            print(f"rtchat web: warning: {warning}", flush=True)
        print(
            "rtchat web: the address carries this run's key (anyone with it can chat with your keys); "
            f"each tab runs its own rtchat with your config and history, at most {config.web.max_sessions} at once. Ctrl+C stops them all.",
            flush=True,
        )
        if args.open_browser:
            open_in_browser(url)

    server = WebServer(app_argv(args), listen, new_secret(), config.web.max_sessions, tls)
    try:
        serve(server, ready)
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return 0

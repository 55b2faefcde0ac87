"""`rtchat` with no command: the Textual app."""

from __future__ import annotations

from rtchat.commands.common import fail, load_config_or_report


def run_tui(args) -> int:
    config = load_config_or_report()
    if config is None:
        return 2
    try:
        from rtchat.ui.app import run_app  # deferred: Textual, once the config is known good; inside the try: a missing piece is one line
    except ImportError as exc:
        return fail(f"the terminal app is not available: {exc}")
    return run_app(config, model=args.model, protocol=args.protocol, theme=args.theme, debug=args.debug)

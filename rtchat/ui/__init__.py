"""The Textual terminal app: `rtchat` with no subcommand.

Importing this package is cheap on purpose; `rtchat.ui.app.run_app` is the entry point.
"""

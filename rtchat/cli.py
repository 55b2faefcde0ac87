"""`rtchat` command line: parse, then hand over to one command module."""

from __future__ import annotations

import argparse
import sys

from rtchat import __version__
from rtchat.catalog import EFFORTS, PROTOCOLS
from rtchat.commands.bench import add_bench_parser
from rtchat.commands.race import add_race_parser
from rtchat.commands.web import add_web_parser, run_web
from rtchat.commands.printers import silence_stdout
from rtchat.compat import subcommand_parsers


class Parser(argparse.ArgumentParser):
    """One error prefix for every message: `rtchat: ...`, then the usage of the command at fault."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"rtchat: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="rtchat", description="Chat with LLMs in the terminal over SSE, WebSocket and WebRTC.")
    parser.add_argument("--version", action="version", version=f"rtchat {__version__}")
    parser.add_argument("-m", "--model", metavar="PROVIDER/MODEL", help="PROVIDER/MODEL to start with (default: config, else the first provider with a key, else loopback/echo)")
    parser.add_argument("--protocol", choices=PROTOCOLS, help="transport to start with")
    parser.add_argument("--theme", help="theme name (see themes/ and your config dir)")
    parser.add_argument("--debug", action="store_true", help="write a redacted wire log (frames, timings, headers minus credentials) to the state dir")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="stream one answer to stdout (for scripts)")
    ask.add_argument("prompt", nargs="*", help="the prompt; read from stdin when omitted or '-'")
    ask.add_argument("-m", "--model", dest="ask_model", metavar="PROVIDER/MODEL", help="the model (default: as the app picks)")
    ask.add_argument("--base-url", help="override the provider's base URL (SDK convention: OpenAI-style includes /v1)")
    ask.add_argument("--api", choices=["chat", "responses"], help="an OpenAI-compatible provider: Chat Completions (default) or the Responses API")
    ask.add_argument("--system", help="system prompt")
    ask.add_argument("--persona", help="a [personas.NAME] from the config: its system prompt, model and effort (each flag given here wins)")
    ask.add_argument("-a", "--attach", action="append", default=[], metavar="FILE", help="send an image, PDF or text file with the prompt (repeatable; '-' reads stdin)")
    share = ask.add_mutually_exclusive_group()  # issue 29: frames before the prompt (rtchat/commands/ask_share.py)
    share.add_argument("--share-screen", action="store_true", help="share the screen before the prompt (--screen-area picks a monitor or a region)")
    share.add_argument("--share-file", metavar="FILE", help="share a video file (looping) before the prompt")
    ask.add_argument("--screen-area", metavar="MONITOR|X,Y,W,H", help="with --share-screen: a monitor number (1 is the first) or a region")
    ask.add_argument("--frames", type=int, default=1, metavar="N", help="frames to share before the prompt goes (default 1)")
    ask.add_argument("--share-fps", type=float, default=1.0, metavar="FPS", help="frames per second while sharing, at most the provider's limit (default 1)")
    ask.add_argument("--effort", choices=EFFORTS, help="reasoning effort, mapped to the provider's own knob")
    ask.add_argument("--no-thinking", action="store_true", help="hide reasoning and ask the provider not to think where it can")
    ask.add_argument("--jsonl", action="store_true", help="print one JSON object per event")
    ask.add_argument("--protocol", dest="ask_protocol", choices=PROTOCOLS, default="sse", help="transport (default sse)")
    ask.add_argument("--no-history", action="store_true", help="do not store this turn in the history")
    ask.add_argument("--continue", dest="continue_last", action="store_true", help="continue the last conversation (on its current branch)")
    ask.add_argument("--conversation", type=int, metavar="ID", help="continue conversation ID (from `rtchat history`) instead of the last one")
    ask.add_argument("--regenerate", action="store_true", help="answer the conversation's last prompt again, kept beside the old answer (no prompt argument)")
    ask.add_argument("--edit", action="store_true", help="the prompt replaces the conversation's last prompt, as a new branch (the old one is kept)")
    ask.add_argument("--audio-in", metavar="FILE.wav", help="send this WAV as a spoken user turn (voice models; WebRTC unless --protocol websocket)")
    ask.add_argument("--save-audio", metavar="OUT.wav", help="with --audio-in: write the spoken answer to this WAV")
    ask.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="write a redacted wire log to the state dir")
    offered = ask.add_mutually_exclusive_group()
    offered.add_argument("--tools", metavar="SERVER[,SERVER]", help="offer only these MCP servers' tools (default: every enabled server for the model)")
    offered.add_argument("--no-tools", action="store_true", help="offer no tools")
    ask.add_argument("--approve-tools", action="store_true", help="allow every tool call of this run without asking (else asked on the terminal; with no terminal, denied)")

    models = sub.add_parser("models", help="list known models and their capabilities")
    models.add_argument("--provider", help="only this provider")
    models.add_argument("--refresh", action="store_true", help="ask the providers' /models endpoints again")

    keys = sub.add_parser("keys", help="manage API keys in the OS keyring")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    keys_set = keys_sub.add_parser("set", help="store a key (hidden prompt, or stdin when piped)")
    keys_set.add_argument("provider")
    keys_delete = keys_sub.add_parser("delete", help="remove a stored key")
    keys_delete.add_argument("provider")
    keys_sub.add_parser("list", help="providers that have a key (never the key)")
    keys_where = keys_sub.add_parser("where", help="where a provider's key comes from (env or keyring)")
    keys_where.add_argument("provider")

    config = sub.add_parser("config", help="the config file")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("path", help="print the config file's path")
    config_sub.add_parser("check", help="read the config file and report problems")

    history = sub.add_parser("history", help="list or search stored conversations")
    history.add_argument("--search", nargs="+", metavar="WORD", help="full-text search over all messages")
    history.add_argument("--json", action="store_true", help="machine-readable output")
    history.add_argument("--limit", type=int, default=50)

    export = sub.add_parser("export", help="write one conversation as Markdown or JSON")
    export.add_argument("id", help="a conversation id from `rtchat history`, or 'last'")
    export.add_argument("--format", choices=["md", "json"], default="md")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.add_argument("--all-branches", action="store_true", help="every branch (regenerated answers, edited prompts), not only the current one")

    serve = sub.add_parser("serve", help="run the loopback reference server")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address (127.0.0.1 or ::1)")
    serve.add_argument("--with-parent", action="store_true", help=argparse.SUPPRESS)  # the bench's child: end when stdin closes

    mcp = sub.add_parser("mcp", help="MCP servers: list them with their tools, import a Claude-Desktop-style file")
    mcp_sub = mcp.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    listing = mcp_sub.add_parser("list", help="start each configured server and show its state and tools")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    imported = mcp_sub.add_parser("import", help='add the servers of a {"mcpServers": {...}} JSON file to the config')
    imported.add_argument("file", help="the JSON file (Claude Desktop's claude_desktop_config.json, .cursor/mcp.json, ...)")
    imported.add_argument("--replace", action="store_true", help="overwrite servers the config already has")

    add_bench_parser(sub)
    add_race_parser(sub)
    add_web_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command at fault, with its own usage (`ask --bogus` shows ask's usage)
        subcommands = subcommand_parsers(parser)
        (subcommands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    command = args.command
    if command == "ask":
        from rtchat.commands.ask import run_ask  # deferred: the session and the store, for ask only

        return run_ask(args)
    if command == "models":
        from rtchat.commands.models import run_models  # deferred: only this command's modules load

        return run_models(args)
    if command == "keys":
        from rtchat.commands.keys import run_keys  # deferred: only this command's modules load

        return run_keys(args)
    if command == "config":
        from rtchat.commands.config_cmd import run_config  # deferred: only this command's modules load

        return run_config(args)
    if command == "history":
        from rtchat.commands.history_cmd import run_history  # deferred: the store (sqlite3), for history only

        return run_history(args)
    if command == "export":
        from rtchat.commands.history_cmd import run_export  # deferred: the store (sqlite3), for export only

        return run_export(args)
    if command == "serve":
        from rtchat.commands.serve import run_serve  # deferred: the loopback server (aiohttp), for serve only

        return run_serve(args)
    if command == "bench":
        from rtchat.commands.bench import run_bench_command  # deferred: only this command's modules load

        return run_bench_command(args)
    if command == "race":
        from rtchat.commands.race import run_race_command  # deferred: only this command's modules load

        return run_race_command(args)
    if command == "mcp":
        from rtchat.commands.mcp import run_mcp  # deferred: only this command's modules load

        return run_mcp(args)
    if command == "web":
        return run_web(args)
    from rtchat.commands.tui import run_tui  # deferred: Textual and the app, for the app only

    return run_tui(args)


def entry() -> None:
    """Run, and end quietly when the reader of stdout went away (`rtchat history | head -1`)."""
    code = 0  # a command that stopped early because nobody reads on (`| head -1`) did not fail
    try:
        code = main()
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
    except BrokenPipeError:
        silence_stdout()  # Python's own flush at exit would fail again
    sys.exit(code)  # a failure's status is kept even when its output found no reader


if __name__ == "__main__":
    entry()

"""How `rtchat ask` prints events: the answer for people, or one JSON object per line for scripts."""

from __future__ import annotations

import os
import sys

from rtchat.events import Done, Error, Event, Notice, TextDelta, ThinkingDelta, ToolCallRequest, ToolCallResult, event_to_dict
from rtchat.sanitize import strict_json, terminal_safe

DIM, RESET = "\x1b[2m", "\x1b[0m"

# Why a note: without one, a cut or refused answer looks like a whole one on a terminal.
ENDING_NOTES = {
    "length": "the answer was cut at the token limit (length)",
    "refusal": "the model refused (refusal)",
}


def color_allowed(environ=os.environ) -> bool:
    """https://no-color.org: any non-empty NO_COLOR; and a dumb terminal has no attributes."""
    return not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


class TextPrinter:
    """Answer to stdout, reasoning to stderr (only when stderr is a terminal; dimmed where colour is allowed)."""

    def __init__(self, show_thinking: bool) -> None:
        self.show_thinking = show_thinking and sys.stderr.isatty()
        self.dim, self.reset = (DIM, RESET) if color_allowed() else ("", "")
        self.wrote_text = False
        self.last_char = "\n"
        self.thinking_open = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, ThinkingDelta):
            if self.show_thinking:
                sys.stderr.write(self.dim + terminal_safe(event.text) + self.reset)
                sys.stderr.flush()
                self.thinking_open = True
        elif isinstance(event, TextDelta):
            if self.thinking_open:
                sys.stderr.write("\n\n")
                self.thinking_open = False
            text = terminal_safe(event.text)
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
                self.wrote_text = True
                self.last_char = text[-1]
        elif isinstance(event, (ToolCallRequest, ToolCallResult)):
            sys.stderr.write(f"rtchat: {tool_line(event)}\n")
            sys.stderr.flush()
        elif isinstance(event, Notice):
            sys.stderr.write(f"rtchat: {terminal_safe(event.text)}\n")
        elif isinstance(event, Error):
            self.end_line()
            sys.stderr.write(f"rtchat: {terminal_safe(event.message)}\n")
        elif isinstance(event, Done):
            self.end_line()
            if event.reason == "interrupted":
                sys.stderr.write("rtchat: interrupted\n")
            elif event.reason in ENDING_NOTES:
                sys.stderr.write(f"rtchat: {ENDING_NOTES[event.reason]}\n")

    def end_line(self) -> None:
        if self.wrote_text and self.last_char != "\n":
            sys.stdout.write("\n")
            self.last_char = "\n"
        sys.stdout.flush()


TOOL_LINE_CHARS = 160  # of a call's arguments or a result's output, on a tool's stderr line


def one_line(text: str, limit: int = TOOL_LINE_CHARS) -> str:
    """`text` inert (a model's or a tool's words), on one line, cut to `limit` characters."""
    flat = " ".join(terminal_safe(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def tool_name(name: str, server: str | None) -> str:
    """`server.tool` (inert: both names come from a server)."""
    return terminal_safe(f"{server}.{name}" if server else name)


def tool_line(event: ToolCallRequest | ToolCallResult) -> str:
    """The short stderr line of a call asked for, or of its result."""
    if isinstance(event, ToolCallRequest):
        return f"tool call {tool_name(event.name, event.server)} {one_line(event.arguments)}"
    took = f" in {event.ms:.0f} ms" if event.ms is not None else ""
    status = "" if event.status == "ok" else f" ({event.status})"
    return f"tool result {tool_name(event.name, event.server)}{status}{took}: {one_line(event.output)}"


def silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def print_jsonl(event: Event) -> None:
    print_json_line(event_to_dict(event))


def print_json_line(data: dict) -> None:
    sys.stdout.write(strict_json(data) + "\n")
    sys.stdout.flush()


# The `cost` line of a turn whose cost nobody said (a gateway or remote server with no price):
# the same shape as a known cost, so a script reads `usd` in one place and finds null, never 0.
UNKNOWN_COST_LINE = {"type": "cost", "usd": None, "source": "unknown", "saved_usd": None}

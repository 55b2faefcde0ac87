"""Slash commands typed in the input: the table, what a typed line means, and completion.

One table. Each command names the app action its key and palette entry run
(`action`, used when nothing follows the name) and, when it takes an argument,
the app action that takes it (`with_argument`, run as `name('argument')`), so a
slash command can never do something its key does not. Completion is pure: it
gets the names it offers from `Sources`, so it is tested without an app.

To add a command, add a row: e.g. `Slash("regenerate", "answer the last prompt again", "regenerate")`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

Kind = Literal["model", "protocol", "effort", "persona", "path", "share"]
SHARE_WORDS = ("screen", "camera", "off")  # what /share completes; file names once none matches
PATH_ROWS = 40  # a directory listing in the popup stops here


@dataclass(frozen=True)
class Slash:
    name: str
    help: str
    action: str | None  # the app action without an argument (None: the argument is required)
    with_argument: str | None = None  # the app action given the argument
    argument: str = ""  # what the argument is, as the popup names it
    completes: Kind | None = None  # what the argument completes from

    @property
    def usage(self) -> str:
        shown = f"[{self.argument}]" if self.action else self.argument
        return f"/{self.name} {shown}".rstrip() if self.argument else f"/{self.name}"


SLASH_COMMANDS: tuple[Slash, ...] = (
    Slash("model", "switch model; no name opens the picker", "pick_model", "use_model", "MODEL", "model"),
    Slash("protocol", "switch protocol; no name opens the picker", "pick_protocol", "use_protocol", "NAME", "protocol"),
    Slash("effort", "set reasoning effort; no level cycles it", "cycle_effort", "use_effort", "LEVEL", "effort"),
    Slash("system", "set this conversation's system prompt; no text opens its screen", "edit_system_prompt", "set_system_prompt", "TEXT"),
    Slash("persona", "apply a configured persona (prompt, model, effort); no name re-reads the config and lists them", "list_personas", "use_persona", "NAME", "persona"),
    Slash("attach", "attach a file (image, PDF or text) to the next prompt", None, "attach_file", "PATH", "path"),
    Slash("paste", "attach the clipboard's image to the next prompt (ctrl+v)", "paste_image"),
    Slash("share", "show the model the screen, a camera or a video file; off stops", None, "use_share", "screen|camera|FILE|off", "share"),
    Slash("tools", "this conversation's MCP servers and tools, on or off", "pick_tools"),
    Slash("new", "start a new conversation", "new_conversation"),
    Slash("clear", "clear the conversation, keeping its system prompt", "clear_conversation"),
    Slash("export", "write this conversation to PATH (.md or .json; ./rtchat-ID.md)", "export_conversation", "export_conversation", "PATH", "path"),
    Slash("help", "every key and slash command", "help"),
    Slash("regenerate", "answer the last prompt again (the old answer stays as a sibling)", "regenerate"),
    Slash("edit", "put the last prompt in the input; Enter sends it as a new branch", "edit_prompt"),
)


@dataclass(frozen=True)
class Call:
    """A typed command: the app action to run (with its argument, if any)."""

    command: Slash
    argument: str

    @property
    def action(self) -> str:
        if self.argument and self.command.with_argument:
            return f"{self.command.with_argument}({self.argument!r})"
        return self.command.action or ""


@dataclass(frozen=True)
class Completion:
    text: str  # the input's whole text once chosen
    label: str  # the row the popup shows
    help: str = ""


@dataclass
class Sources:
    """Where the argument completions come from (called each time: the lists change)."""

    models: Callable[[], Sequence[str]] = lambda: ()
    protocols: Callable[[], Sequence[str]] = lambda: ()
    efforts: Callable[[], Sequence[str]] = lambda: ()
    personas: Callable[[], Sequence[str]] = lambda: ()
    commands: Sequence[Slash] = field(default_factory=lambda: SLASH_COMMANDS)
    path_note: str = ""  # said beside the first path offered


def is_command(text: str) -> bool:
    """A line starting with one `/` is a command; `//` sends a message that starts with `/`."""
    return text.startswith("/") and not text.startswith("//")


def literal_message(text: str) -> str:
    """What a typed line sends as a message: `//x` sends `/x`."""
    return text[1:] if text.startswith("//") else text


def find(name: str, commands: Sequence[Slash] = SLASH_COMMANDS) -> Slash | None:
    return next((c for c in commands if c.name == name.lower()), None)


def parse(text: str, commands: Sequence[Slash] = SLASH_COMMANDS) -> Call | str:
    """The call a typed command makes, or the one line that says why it cannot run."""
    name, _, argument = text.strip()[1:].partition(" ")
    command = find(name, commands)
    if command is None:
        return f"unknown command /{name} — /help lists them (// sends a message starting with /)"
    argument = argument.strip()
    if argument and command.with_argument is None:
        return f"/{command.name} takes no argument"
    if not argument and command.action is None:
        return f"usage: {command.usage} — {command.help}"
    return Call(command, argument)


def completions(text: str, sources: Sources) -> list[Completion]:
    """What the popup offers for the input's text: command names, then each command's argument."""
    if not is_command(text) or "\n" in text:
        return []
    name, space, argument = text[1:].partition(" ")
    if not space:
        return [
            Completion(f"/{c.name}" + (" " if c.argument else ""), c.usage, c.help)
            for c in sources.commands
            if c.name.startswith(name.lower())
        ]
    command = find(name, sources.commands)
    if command is None or command.completes is None:
        return []
    head = f"/{command.name} "
    if command.completes == "path":  # the first row says whose disk, where that is not obvious (a browser tab)
        return [Completion(head + path, path, "" if i else sources.path_note) for i, path in enumerate(path_completions(argument))]
    if command.completes == "share":
        return [Completion(head + choice, choice) for choice in share_completions(argument)]
    names = {"model": sources.models, "protocol": sources.protocols, "effort": sources.efforts, "persona": sources.personas}[command.completes]()
    needle = argument.strip().casefold()
    starts = [n for n in names if n.casefold().startswith(needle)]
    inside = [n for n in names if needle in n.casefold() and n not in starts]
    return [Completion(head + n, n) for n in starts + inside]


def share_completions(typed: str) -> list[str]:
    """`/share`'s argument: the words (screen, camera, off) it starts, and file names only once no
    word matches (a path spelled `./`, `~/` or with a `/` never does), so `scr` offers `screen`,
    not also the `screenshots/` folder, while `clip` still finds `clip.mp4`."""
    argument = typed.strip()
    if " " in argument:
        return path_completions(typed)
    words = [w for w in SHARE_WORDS if w.startswith(argument.lower())]
    return words if words or not argument else path_completions(typed)


def enter_completes(text: str, completion: Completion | None) -> bool:
    """Whether Enter takes the highlighted completion rather than running the line.

    A whole command name runs (`/model` opens the picker); a partial one completes.
    An argument completes until it is exactly the highlighted row."""
    if completion is None or completion.text.rstrip() == text.rstrip():
        return False
    name, space, argument = text[1:].partition(" ")
    command = find(name)
    if not space or not argument.strip():
        return command is None or command.action is None  # `/attach ` has nothing to run yet
    return True


def path_completions(typed: str) -> list[str]:
    """Files and folders whose path starts with `typed` (with `~` expanded), in the user's own spelling.

    Folders end in `/`; hidden entries show only once a `.` is typed."""
    spelled = "~/" if typed == "~" else typed
    folder_typed, _, partial = spelled.rpartition("/")
    folder_typed = folder_typed + "/" if (folder_typed or spelled.startswith("/")) else ""
    folder = Path(os.path.expanduser(folder_typed or "."))
    try:
        entries = sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.casefold()))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(partial) or (entry.name.startswith(".") and not partial.startswith(".")):
            continue
        try:
            folder_mark = "/" if entry.is_dir() else ""
        except OSError:
            folder_mark = ""
        found.append(folder_typed + entry.name + folder_mark)
        if len(found) == PATH_ROWS:
            break
    return found


def looks_like_path(text: str) -> str | None:
    """A pasted line that names an existing file (quotes and `file://` allowed): its path, else None."""
    line = text.strip()
    if not line or "\n" in line:
        return None
    if line[:1] == line[-1:] and line[:1] in "'\"" and len(line) > 1:
        line = line[1:-1]
    if line.startswith("file://"):
        line = unquote(urlparse(line).path)
    line = line.replace("\\ ", " ")  # a path dragged into a terminal escapes its spaces
    path = Path(os.path.expanduser(line))
    try:
        return str(path) if (path.is_absolute() or line.startswith(("./", "~"))) and path.is_file() else None
    except OSError:
        return None

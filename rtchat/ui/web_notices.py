"""What a browser tab (`rtchat web`) is told about the features that run on the server's machine.

The app runs on the server, so the microphone and speaker it opens, the files
`/attach` reads and `/export` writes, and the editor ctrl+e starts are all the
server's. Each says so once, in one line, instead of surprising the user.
"""

from __future__ import annotations

from dataclasses import replace

from rtchat.audio.support import AudioUnavailable, load_sounddevice
from rtchat.ui.controllers.slash import Slash

PATH_NOTE = "a path on the server's disk, not this browser's"
EDITOR_OFF = "ctrl+e is off in a browser tab: the editor would open in the server's terminal, which this tab cannot show"


def server_commands(commands: list[Slash] | tuple[Slash, ...]) -> list[Slash]:
    """The slash commands with /attach and /export saying, in their popup row, whose paths they take."""
    return [replace(c, help=f"{c.help} — {PATH_NOTE}") if c.completes == "path" else c for c in commands]


def server_voice(settings) -> str:
    """The one line about voice in a tab, naming the server's devices as PortAudio does.
    Imports sounddevice and asks PortAudio: call it on a thread."""
    try:
        sd = load_sounddevice()
    except AudioUnavailable as exc:
        return f"voice is off in this browser tab: the server has no sound ({exc})"
    names = []
    for kind, device in (("input", settings.input_device), ("output", settings.output_device)):
        try:
            names.append(str(sd.query_devices(device, kind=kind)["name"]))
        except (ValueError, sd.PortAudioError):
            names.append(f"no {kind} device")
    return f"voice in the browser tab uses the server's microphone and speaker: {names[0]} / {names[1]}"

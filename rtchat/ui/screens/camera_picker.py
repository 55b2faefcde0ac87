"""Pick the camera `/share camera` opens: the cameras found now, scanned again on each opening
and on `r` (a camera plugged in while rtchat runs is found), the current one marked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rtchat.share import Camera, list_cameras
from rtchat.ui.safe_text import literal

NONE_FOUND = "no camera found: plug one in and press r to look again (/share FILE shares a video file instead)"


class CameraPicker(ModalScreen[str | None]):
    """Dismisses with the chosen camera's device, or None."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="camera_picker.cancel"),
        Binding("r", "scan", "Scan again", id="camera_picker.scan"),
    ]
    DEFAULT_CSS = """
    CameraPicker { align: center middle; }
    CameraPicker > Vertical { width: 76; max-width: 95%; height: auto; max-height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    CameraPicker OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, current: str | None, scan: Callable[[], list[Camera]] = list_cameras) -> None:
        """`scan` lists the cameras (the machine's by default; tests give theirs)."""
        super().__init__()
        self.current = current
        self.scan = scan
        self.cameras: list[Camera] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Camera for /share camera · Enter chooses · r scans again · Esc", markup=False)
            yield Static("scanning…", id="camera-note", markup=False)
            yield OptionList(id="cameras")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.action_scan()

    @work(exclusive=True)
    async def action_scan(self) -> None:
        self.cameras = await asyncio.to_thread(self.scan)  # reads /sys and /dev: off the event loop
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(literal(("● " if c.device == self.current else "  ") + c.name)) for c in self.cameras])
        self.query_one("#camera-note", Static).update(literal(f"{len(self.cameras)} found" if self.cameras else NONE_FOUND))
        if self.cameras:
            chosen = next((i for i, c in enumerate(self.cameras) if c.device == self.current), 0)
            options.highlighted = chosen

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.cameras[event.option_index].device)

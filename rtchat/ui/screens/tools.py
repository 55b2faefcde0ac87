"""/tools: the MCP servers this model may use and their tools, each switched on or off for
this conversation.

Opening the screen starts the servers (in a worker, each with its deadline) so their tools
can be listed; a server that failed says why. The switches change the conversation's
`ConversationTools` at once (the next turn offers what is on); a new conversation starts
from the defaults again. Names and descriptions come from the servers: shown as data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static, Switch

from rtchat.tools.approval import ConversationTools
from rtchat.ui.safe_text import literal

if TYPE_CHECKING:
    from rtchat.tools.registry import ServerStatus

Load = Callable[[], Awaitable["list[ServerStatus]"]]


def first_line(text: str, width: int = 70) -> str:
    line = (text or "").strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"


class ToolsScreen(ModalScreen[None]):
    """Switches for the conversation's servers and tools; Esc closes."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="tools.close")]
    DEFAULT_CSS = """
    ToolsScreen { align: center middle; }
    ToolsScreen > Vertical { width: 90; max-width: 95%; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    ToolsScreen VerticalScroll { height: auto; max-height: 30; }
    ToolsScreen .row { height: auto; }
    ToolsScreen .row Switch { width: auto; }
    ToolsScreen .row Static { width: 1fr; padding: 1 0 0 1; }
    ToolsScreen .tool { padding-left: 4; }
    ToolsScreen .server-label { text-style: bold; }
    ToolsScreen .hint { color: $text-muted; }
    ToolsScreen .-failed { color: $error; }
    """

    def __init__(self, model: str, load: Load, choices: ConversationTools, note: str = "") -> None:
        super().__init__()
        self.model = model
        self.load = load
        self.choices = choices
        self.note = note  # why tools are not offered over this protocol, if so
        self.statuses: list[ServerStatus] = []
        self._switches: dict[Switch, tuple[str, str]] = {}  # switch -> ("server", name) | ("tool", offered name)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(f"Tools for this conversation with {self.model}"))
            if self.note:
                yield Static(literal(self.note), classes="hint")
            yield Static("starting the MCP servers…", id="tools-state", classes="hint", markup=False)
            yield VerticalScroll(id="tools-list")
            yield Static("space or Enter switches · on/off holds for this conversation · Esc closes", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.list_servers()

    @work(exclusive=True, group="tools-list")
    async def list_servers(self) -> None:
        self.statuses = await self.load()
        state = self.query_one("#tools-state", Static)
        if not self.statuses:
            state.update(literal("no MCP servers for this model: add [mcp.servers.NAME] to the config (rtchat mcp list)"))
            return
        state.display = False
        rows = []
        for status in self.statuses:
            rows.append(self._row("server", status.name, self._server_label(status), self._server_on(status.name), failed=status.problem is not None))
            for tool in status.tools:
                label = f"{tool.name} — {first_line(tool.description)}" if tool.description else tool.name
                rows.append(self._row("tool", tool.name, label, tool.name not in self.choices.disabled_tools, classes="tool"))
        await self.query_one("#tools-list", VerticalScroll).mount_all(rows)
        first = next(iter(self._switches), None)
        if first is not None:
            first.focus()

    @staticmethod
    def _server_label(status: ServerStatus) -> str:
        tools = f" · {len(status.tools)} tool{'s' if len(status.tools) != 1 else ''}" if status.tools else ""
        problem = f": {status.problem}" if status.problem else ""
        return f"{status.name} ({status.transport}) · {status.state}{problem}{tools}"

    def _server_on(self, name: str) -> bool:
        return self.choices.servers is None or name in self.choices.servers

    def _row(self, kind: str, name: str, label: str, on: bool, classes: str = "", failed: bool = False) -> Horizontal:
        switch = Switch(value=on)
        self._switches[switch] = (kind, name)
        text = Static(literal(label), classes=f"{kind}-label" + (" -failed" if failed else ""))
        return Horizontal(switch, text, classes=f"row {classes}".strip())

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        kind, name = self._switches.get(event.switch, ("", ""))
        if kind == "server":
            every = {status.name for status in self.statuses}
            on = (every if self.choices.servers is None else set(self.choices.servers)) & every
            on = on | {name} if event.value else on - {name}
            self.choices.servers = None if on == every else on
        elif kind == "tool":
            if event.value:
                self.choices.disabled_tools.discard(name)
            else:
                self.choices.disabled_tools.add(name)

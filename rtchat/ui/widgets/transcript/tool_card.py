"""A tool call inside an answer: what the model asked for, the user's decision, what came back.

The card appears where the call happens in the answer and grows with the arguments as
they stream; once the call is whole it names the server and tool and pretty-prints the
arguments. When the approver asks, the card takes focus and y / a / n decide; the keys
act on an asking card only (the prompt input never approves anything). After the call:
its duration, a chip line for the images that went to the model, and the result, folded.
Everything in a card comes from a model or a tool, so it is shown as data (`literal`: no
markup, no terminal controls), and a huge result is cut to its first lines: the widget
never holds more than `SHOWN_CHARS` of it.
"""

from __future__ import annotations

import json
import time

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Collapsible, Static

from rtchat.conversation import ToolCall, ToolResult
from rtchat.tools.approval import Decision
from rtchat.ui.bindings import TOOL_CARD_BINDINGS
from rtchat.ui.safe_text import literal
from rtchat.ui.widgets.input.chips import chip_text
from rtchat.ui.widgets.status.status_facts import duration

SHOWN_LINES = 24  # a result or arguments longer than this show their first lines and "… N more lines"
SHOWN_CHARS = 4_000  # and never more characters than this (a 10 MB one-line result included)

QUESTION = "allow?  y once · a always (this conversation; a again: save to config) · n deny"

STATE_WORDS = {
    "streaming": "receiving the call…",
    "requested": "allowed",
    "asking": "asking you",
    "running": "running",
    "ok": "done",
    "error": "failed",
    "denied": "denied by you",
    "cancelled": "cancelled",
    "timeout": "timed out",
    "unknown_tool": "no server offers this tool",
}
ENDED = frozenset({"ok", "error", "denied", "cancelled", "timeout", "unknown_tool"})


def clipped(text: str, lines: int = SHOWN_LINES, chars: int = SHOWN_CHARS) -> str:
    """The first `lines` lines (and at most `chars` characters) of `text`, then what was left out."""
    shown = "\n".join(text[:chars].split("\n")[:lines])
    end = len(shown)
    if end == len(text):
        return shown
    mark = "" if text[end] == "\n" else "…"  # cut inside a line
    more = text.count("\n", end)
    if more:
        return f"{shown}{mark}\n… {more:,} more line{'s' if more != 1 else ''}"
    return f"{shown}{mark}\n… {len(text) - end:,} more characters"


def pretty_arguments(arguments: str) -> str:
    """The arguments as indented JSON when they parse, else exactly as the model sent them."""
    if not arguments.strip():
        return "{}"
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):
        return arguments
    return json.dumps(value, indent=2, ensure_ascii=False)


class ToolCard(Vertical, can_focus=True):
    """One call: its name and server, arguments, the question while asked, then its result."""

    DEFAULT_CSS = """
    ToolCard { height: auto; margin: 0 0 1 0; padding: 0 1; border-left: outer $secondary; background: $surface; }
    ToolCard:focus { background: $boost; }
    ToolCard .tool-head { text-style: bold; }
    ToolCard .tool-state { color: $text-muted; }
    ToolCard .tool-arguments { color: $text; }
    ToolCard .tool-question { color: $warning; text-style: bold; }
    ToolCard .tool-images { color: $text-muted; }
    ToolCard Collapsible { background: transparent; border-top: none; padding: 0; margin: 0; }
    ToolCard Collapsible > Contents { padding: 0 0 0 2; }
    ToolCard.-asking { border-left: outer $warning; }
    ToolCard.-running { border-left: outer $accent; }
    ToolCard.-ok { border-left: outer $success; }
    ToolCard.-ok .tool-state { color: $success; }
    ToolCard.-error, ToolCard.-timeout, ToolCard.-unknown_tool { border-left: outer $error; }
    ToolCard.-error .tool-state, ToolCard.-timeout .tool-state, ToolCard.-unknown_tool .tool-state { color: $error; }
    ToolCard.-denied, ToolCard.-cancelled { border-left: outer $panel-lighten-2; }
    ToolCard.-denied .tool-state, ToolCard.-cancelled .tool-state { color: $warning; text-style: italic; }
    """

    BINDINGS = TOOL_CARD_BINDINGS

    class Decided(Message):
        """The user answered the card's question (handled by the app's approver)."""

        def __init__(self, call_id: str, decision: Decision) -> None:
            super().__init__()
            self.call_id = call_id
            self.decision = decision

    class SaveRequested(Message):
        """`a` a second time: remember "always allow" for this tool in the config."""

        def __init__(self, server: str, tool: str) -> None:
            super().__init__()
            self.server = server
            self.tool = tool

    class LeaveRequested(Message):
        """The input takes the keys back: the user pressed i or Escape, or the card was answered
        (then never from another card that asks now)."""

        def __init__(self, card: ToolCard) -> None:
            super().__init__()
            self.card = card

        @property
        def control(self) -> ToolCard:
            return self.card

    def __init__(self, index: int = 0, call_id: str = "", name: str = "") -> None:
        super().__init__(classes="-streaming")
        self.index = index
        self.call_id = call_id
        self.call_name = name
        self.server: str | None = None
        self.tool = name
        self.arguments = ""
        self.whole = False  # the arguments are the whole call's (what runs): late fragments add nothing
        self.state = "streaming"
        self.result: ToolResult | None = None
        self.started: float | None = None  # when the call began running (perf_counter)
        self.save_offered = False  # "a" was the answer: a second "a" saves it to the config
        self._head = Static(classes="tool-head")
        self._state = Static(classes="tool-state")
        self._arguments = Static(classes="tool-arguments")
        self._question = Static(QUESTION, classes="tool-question", markup=False)
        self._question.display = False
        self._images = Static(classes="tool-images")  # the result's images that went to the model, as chips
        self._images.display = False
        self._result_text = Static(classes="tool-result")
        self._result = Collapsible(self._result_text, title="result", collapsed=True)
        self._result.display = False
        self._timer = None
        self._draw()

    @classmethod
    def finished(cls, call: ToolCall, result: ToolResult | None) -> ToolCard:
        """A stored call with its result (history): drawn as it ended."""
        card = cls(call_id=call.id, name=call.name)
        card.arguments, card.whole = call.arguments, True
        if result is not None:
            card.server = result.server
            card.show_result(result)
        else:
            card.set_state("cancelled")
        return card

    def compose(self) -> ComposeResult:
        yield self._head
        yield self._arguments
        yield self._question
        yield self._state
        yield self._images
        yield self._result

    # --- what the turn says ---------------------------------------------------------------

    def grow(self, call_id: str | None, name: str | None, arguments: str) -> None:
        """A streamed fragment of the call (id and name come first, the arguments in pieces)."""
        self.call_id = self.call_id or call_id or ""
        self.call_name = self.call_name or name or ""
        self.tool = self.tool or self.call_name
        if not self.whole:
            self.arguments += arguments
            self._draw()

    def requested(self, server: str | None, name: str, arguments: str) -> None:
        """The whole call, about to be approved: its server and the arguments as sent."""
        self.server = server
        self.call_name = name or self.call_name
        self.arguments, self.whole = arguments, True
        if self.state == "streaming":
            self.running()  # allowed already ("always"), else the approver's question comes next
        self._draw()

    def ask(self, server: str | None, tool: str, arguments: str, take_focus: bool = True) -> None:
        """The approver asks: the call exactly as it will run (the screen may not have drawn every
        fragment yet), the question, and (unless the user is typing) the keys."""
        self.server = server
        self.tool = tool
        self.arguments, self.whole = arguments, True
        self.set_state("asking")
        self._draw()
        if take_focus:
            self.focus()
        self.scroll_visible()

    def decided(self, decision: Decision, can_save: bool = False) -> None:
        """The answer was taken: a denied call is shown denied, an allowed one runs; after "always",
        `can_save` offers a second `a` (a server of the user's config can remember the tool)."""
        self.save_offered = decision is Decision.ALWAYS and can_save and self.server is not None
        if decision is Decision.DENY:
            self.set_state("denied")
        else:
            self.set_state("requested")
            self.running()
        self._draw()
        if self.save_offered:
            self.refresh_bindings()  # the card keeps the keys: its footer's `a` now reads "Save always"

    def running(self) -> None:
        if self.state in ENDED or self.state == "asking":
            return
        self.started = time.perf_counter()
        self.set_state("running")
        if self._timer is None and self.is_mounted:
            self._timer = self.set_interval(0.1, self._draw)

    def show_result(self, result: ToolResult) -> None:
        self.result = result
        self.server = result.server or self.server
        self.set_state(result.status if result.status in STATE_WORDS else ("error" if result.is_error else "ok"))
        lines = result.output.count("\n") + 1 if result.output else 0
        self._result.title = f"result · {lines:,} line{'s' if lines != 1 else ''} · {len(result.output):,} characters" if result.output else "result · empty"
        self._result_text.update(literal(clipped(result.output)))
        self._result.display = bool(result.output)
        self._images.update(literal("  ".join(f"[image {chip_text(image)}]" for image in result.images)))
        self._images.display = bool(result.images)
        self._draw()

    def cancel(self) -> None:
        """The turn stopped before this call returned."""
        if self.state not in ENDED:
            self.set_state("cancelled")
            self._draw()

    def set_state(self, state: str) -> None:
        self.remove_class(f"-{self.state}")
        self.state = state
        self.add_class(f"-{state}")
        self._question.display = state == "asking"
        self._state.display = state != "asking"  # the question says it
        if state in ENDED and self._timer is not None:
            self._timer.stop()
            self._timer = None
        if state != "asking" and self.has_focus and not self.save_offered:
            self.post_message(self.LeaveRequested(self))

    # --- drawing --------------------------------------------------------------------------

    @property
    def head(self) -> str:
        where = f"{self.server} · " if self.server else ""
        tool = self.tool if self.server and self.tool else self.call_name
        return f"⚙ {where}{tool or 'tool'}"

    @property
    def elapsed_ms(self) -> float:
        return 0.0 if self.started is None else 1000 * (time.perf_counter() - self.started)

    @property
    def state_text(self) -> str:
        words = STATE_WORDS.get(self.state, self.state)
        if self.state == "running" and self.started is not None:
            return f"{words} · {time.perf_counter() - self.started:.1f} s"
        ms = self.result.ms if self.result is not None else None
        if self.state in ("ok", "error", "timeout") and ms is not None:
            words = f"{words} in {duration(ms)}" if self.state == "ok" else f"{words} after {duration(ms)}"
        if self.save_offered:
            words += " · always allowed in this conversation (a again: save to config)"
        return words

    def _draw(self) -> None:
        self._head.update(literal(self.head))
        shown = self.arguments if self.state == "streaming" else pretty_arguments(self.arguments)
        self._arguments.update(literal(clipped(shown)))
        self._state.update(literal(self.state_text))

    # --- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """y / a / n answer an asking card only; after "always", `a` is "Save always" (the
        footer names what the next press does)."""
        if action == "decide":
            return self.state == "asking"
        if action == "save_always":
            return self.save_offered and self.state != "asking"
        return True

    def action_decide(self, decision: str) -> None:
        if self.state == "asking":
            self.post_message(self.Decided(self.call_id, Decision(decision)))

    def action_save_always(self) -> None:
        if self.save_offered and self.server is not None:
            self.save_offered = False
            self.post_message(self.SaveRequested(self.server, self.tool))
            self._draw()
            self.refresh_bindings()
            self.post_message(self.LeaveRequested(self))

    def action_focus_input(self) -> None:
        self.post_message(self.LeaveRequested(self))

    def copy_text(self) -> str:
        result = self.result.output if self.result is not None else ""
        return f"{self.head}\n{pretty_arguments(self.arguments)}\n{result}".rstrip()

"""Full-text search over every stored message: type words, see hits with snippets, Enter opens
(a hit on another branch opens its conversation on that branch)."""

from __future__ import annotations

import asyncio
import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rtchat.sanitize import terminal_safe
from rtchat.store import SearchHit, Store, StoreError
from rtchat.ui.widgets.input.inert import InertInput
from rtchat.ui.widgets.transcript.markdown_text import markdown_text

MARK = ("\x02", "\x03")  # around matched words in a snippet; never in stored text shown (controls are stripped)
TYPING_PAUSE = 0.15  # search once typing pauses, not on every key


def snippet_content(snippet: str) -> Content:
    """A snippet with its matches highlighted; the text itself is shown literally."""
    parts: list[tuple[str, str] | str] = []
    rest = " ".join(snippet.split())  # one line: newlines and runs of spaces become one space
    while MARK[0] in rest:
        before, _, after = rest.partition(MARK[0])
        found, _, rest = after.partition(MARK[1])
        parts.append(terminal_safe(before))
        parts.append((terminal_safe(found), "bold reverse"))
    parts.append(terminal_safe(rest))
    return Content.assemble(*parts)


def hit_label(hit: SearchHit) -> Content:
    """Title, role and branch, then the snippet: a message's as the words its Markdown shows
    (no `**` or `#`), a tool step's (JSON, not Markdown) as stored."""
    branch = "" if hit.on_path else " · on another branch"
    head = Content.assemble((terminal_safe(hit.title or "(untitled)"), "bold"), f"  · {hit.role}{branch}\n")
    return head + Content("   ") + snippet_content(hit.snippet if hit.tool else markdown_text(hit.snippet))


class SearchScreen(ModalScreen[None]):
    """Posts `Resume` with the conversation of the chosen hit, and closes."""

    class Resume(Message):
        """Open the conversation a hit belongs to (`branch_of`: on the branch through that message,
        for a hit on a branch the conversation is not on); the search closes as it bubbles to the app."""

        def __init__(self, conversation_id: int, branch_of: int | None = None) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.branch_of = branch_of

    BINDINGS = [
        Binding("escape", "close", "Close", id="search.close"),
        Binding("down", "move(1)", "Next", id="search.next", show=False),
        Binding("up", "move(-1)", "Previous", id="search.previous", show=False),
    ]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical { width: 120; max-width: 98%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    SearchScreen OptionList { height: 1fr; }
    SearchScreen #search-status { color: $text-muted; height: auto; }
    SearchScreen .hint { color: $text-muted; }
    """

    def __init__(self, store: Store, words: str = "") -> None:
        super().__init__()
        self.store = store
        self.words = words
        self.hits: list[SearchHit] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Search every conversation — type words · Enter opens · Esc closes", classes="hint", markup=False)
            yield InertInput(self.words, placeholder="words to find (all must match)", id="search-words")
            yield OptionList(id="search-hits")
            yield Static("", id="search-status", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.words:
            self.run_search(self.words, pause=0)

    @on(Input.Changed, "#search-words")
    def _typed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @work(exclusive=True, group="search")
    async def run_search(self, words: str, pause: float = TYPING_PAUSE) -> None:
        """Search on a thread once typing pauses. A newer keystroke or Escape cancels this
        worker; the query running on the thread is then stopped too, not left to finish."""
        await asyncio.sleep(pause)
        status = self.query_one("#search-status", Static)
        if not words.strip():
            self.show_hits(words, [])
            return
        status.update("searching…")
        cancelled = threading.Event()
        try:
            hits = await asyncio.to_thread(self.store.search, words, mark=MARK, cancelled=cancelled)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        except StoreError as exc:
            self.hits = []
            status.update(str(exc))
            return
        self.show_hits(words, hits)

    def show_hits(self, words: str, found: list[SearchHit]) -> None:
        self.hits = found
        status = self.query_one("#search-status", Static)
        hits = self.query_one("#search-hits", OptionList)
        hits.clear_options()
        hits.add_options([Option(hit_label(hit), id=str(index)) for index, hit in enumerate(self.hits)])
        if self.hits:
            hits.highlighted = 0
        if not words.strip():
            status.update("")
        elif self.hits:
            status.update(f"{len(self.hits)} matching messages")
        else:
            status.update(f"no message matches “{words.strip()}” — fewer or shorter words find more")

    def action_close(self) -> None:
        """Stop the search still running (its thread query too), then close."""
        self.workers.cancel_group(self, "search")
        self.dismiss(None)

    def action_move(self, step: int) -> None:
        hits = self.query_one("#search-hits", OptionList)
        hits.action_cursor_down() if step > 0 else hits.action_cursor_up()

    def _open(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.hits):
            hit = self.hits[index]
            self.post_message(self.Resume(hit.conversation_id, None if hit.on_path else hit.message_id))

    @on(Input.Submitted, "#search-words")
    def _open_highlighted(self) -> None:
        self._open(self.query_one("#search-hits", OptionList).highlighted)

    @on(OptionList.OptionSelected, "#search-hits")
    def _open_chosen(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_index)

    @on(Resume)
    def _close(self) -> None:
        self.workers.cancel_group(self, "search")  # a search typed just before Enter must not run on a closed screen
        self.dismiss()

"""Every use of a dependency's private or undocumented API, in one place.

Each helper here reaches into a library where no public way exists; pyproject.toml
bounds each such library to the versions these were checked against, and
tests/test_compat.py asserts the names still exist with the shape used here, so an
upgrade that moves one fails there, by name, instead of somewhere in the app.
Nothing here imports its library at module level: callers pass the object in, or the
import is deferred (Textual and Rich load only for the app, sounddevice only for voice).
"""

from __future__ import annotations

import argparse
from enum import Enum
from typing import Any


# ---- argparse (stdlib): the parser of a subcommand


def subcommand_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Name -> parser of each subcommand, so an error is told with that command's own usage.
    argparse keeps its actions in the private `_actions` and the subparsers' type is private."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


# ---- sounddevice: PortAudio's device list


def rescan_portaudio(sd: Any) -> None:
    """Make PortAudio list the devices afresh (it lists them once, when it starts): terminate and
    initialise it again, the way sounddevice's own documentation gives, with private functions.
    `sd` is the loaded sounddevice module (its loading is the caller's: it needs PortAudio)."""
    sd._terminate()
    sd._initialize()


# ---- Textual: the terminal sequences its input parser knows


class ExtraKey(Enum):
    """A key Textual's parser does not name by itself; its table wants objects with `.value`."""

    ALT_ENTER = "alt+enter"


def add_key_sequence(sequence: str, key: ExtraKey) -> None:
    """Make Textual's input parser read `sequence` as `key`. Textual has no public way: its parser
    maps whole sequences through the private, process-wide `ANSI_SEQUENCES_KEYS`. An entry Textual
    already has is left alone."""
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS  # noqa: PLC0415 - deferred: Textual loads only for the app

    ANSI_SEQUENCES_KEYS.setdefault(sequence, (key,))  # type: ignore[arg-type]


# ---- Textual: the input parser its terminal drivers create


def xterm_parser() -> type:
    """Textual's input parser class, private (`textual._xterm_parser.XTermParser`): rtchat's
    subclass takes a bracketed paste whole (ui/fast_paste.py)."""
    from textual._xterm_parser import XTermParser  # noqa: PLC0415 - deferred: Textual loads only for the app

    return XTermParser


def use_input_parser(parser_class: type) -> None:
    """Make Textual's POSIX terminal drivers parse their input with `parser_class`. Each driver
    creates its parser from its own module's name `XTermParser`; there is no public way to choose."""
    try:
        from textual.drivers import linux_driver, linux_inline_driver  # noqa: PLC0415 - deferred; needs termios: POSIX only
    except ImportError:  # not a POSIX terminal: the stock parser stays
        return
    for driver in (linux_driver, linux_inline_driver):
        driver.XTermParser = parser_class


# ---- Textual: the footer's key widget and its readiness


def footer_key() -> type:
    """Textual's footer key widget (`textual.widgets._footer.FooterKey`, not exported): rtchat's
    footer (ui/widgets/key_footer.py) lays out its own choice of keys with Textual's look."""
    from textual.widgets._footer import FooterKey  # noqa: PLC0415 - deferred: Textual loads only for the app

    return FooterKey


def footer_bindings_ready(footer: Any) -> bool:
    """Whether a Textual `Footer` has been told its screen's bindings (private `_bindings_ready`):
    before that, composing it would show the keys of no screen."""
    return bool(footer._bindings_ready)


# ---- Rich: a table's own column sizing, and the parts of its Markdown elements


def table_column_widths(table: Any, console: Any, options: Any) -> list[int]:
    """The widths Rich's `Table` gives its columns at `options.max_width`, padding included.
    Rich computes them in private methods only (`_calculate_column_widths`, `_extra_width`)."""
    return table._calculate_column_widths(console, options.update_width(options.max_width - table._extra_width))


def table_padding_width(table: Any, column_index: int) -> int:
    """The padding Rich's `Table` adds to column `column_index` (private `_get_padding_width`)."""
    return table._get_padding_width(column_index)


def markdown_elements(**replacing: type) -> dict[str, type]:
    """Rich `Markdown`'s element classes by markdown-it token type (the undocumented class
    attribute `elements`), with some replaced: `markdown_elements(table_open=MyTable)`."""
    from rich.markdown import Markdown  # noqa: PLC0415 - deferred: Rich's Markdown loads only for the transcript

    unknown = set(replacing) - set(Markdown.elements)
    if unknown:
        raise KeyError(f"Rich's Markdown has no element for {sorted(unknown)}")
    return {**Markdown.elements, **replacing}


def table_element_cells(element: Any) -> tuple[list[Any], list[list[Any]]]:
    """A Rich Markdown `TableElement`'s header cells and body rows, as the `Text` of each cell
    (undocumented attributes `header.row.cells`, `body.rows`, `cell.content`)."""
    header = element.header.row.cells if element.header is not None and element.header.row is not None else []
    rows = element.body.rows if element.body is not None else []
    return [cell.content for cell in header], [[cell.content for cell in row.cells] for row in rows]


def code_block_parts(element: Any) -> tuple[str, str, str]:
    """A Rich Markdown `CodeBlock`'s source text, lexer name and theme (undocumented attributes)."""
    return str(element.text), element.lexer_name, element.theme


def set_markdown_tokens(markdown: Any, tokens: list[Any]) -> None:
    """Give a Rich `Markdown` the tokens to render, parsed elsewhere (its undocumented `parsed`),
    so a parser with other rules than Rich's own decides what the text means."""
    markdown.parsed = tokens


# ---- textual-serve: a tab's app process


def app_service_process(service: Any) -> Any:
    """The app process (`asyncio.subprocess.Process`, or None before it starts) of a textual-serve
    `AppService` (private `_process`): rtchat web ends a tab's app that will not quit, and watches
    it so the tab hears of an app that ended by itself."""
    return service._process

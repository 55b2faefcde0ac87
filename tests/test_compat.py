"""rtchat.compat against the installed libraries: each private name it uses still exists with the
shape it relies on, and each helper does its job on a real object. A failure here names the
library that changed; pyproject.toml bounds these libraries to the versions that pass.
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import CodeBlock, Markdown, TableElement
from rich.table import Table
from rich.text import Text
from textual.widgets import TextArea

from rtchat import compat
from rtchat.cli import build_parser
from tests.support.env import isolated_env


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_argparse_keeps_its_actions_and_the_subparsers_action():
    parser = argparse.ArgumentParser()
    parser.add_subparsers(dest="command").add_parser("go")
    assert isinstance(parser._actions, list)
    assert isinstance(parser._actions[-1], argparse._SubParsersAction)
    assert compat.subcommand_parsers(parser)["go"].prog.endswith("go")


def test_each_rtchat_command_parser_is_found():
    parsers = compat.subcommand_parsers(build_parser())
    assert {"ask", "models", "keys", "history", "serve", "bench", "race"} <= set(parsers)
    assert compat.subcommand_parsers(argparse.ArgumentParser()) == {}


def test_sounddevice_still_has_terminate_and_initialise(tmp_path):
    # In a fresh interpreter: PortAudio is started and stopped for real, away from other tests' streams.
    probe = (
        "import inspect, sounddevice as sd\n"
        "from rtchat.compat import rescan_portaudio\n"
        "assert inspect.signature(sd._terminate).parameters == {} and inspect.signature(sd._initialize).parameters == {}\n"
        "rescan_portaudio(sd)\n"
        "sd.query_devices()\n"  # PortAudio answers again after the rescan
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_textual_parser_table_maps_sequences_to_keys_with_a_value():
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

    assert isinstance(ANSI_SEQUENCES_KEYS, dict)
    assert [key.value for key in ANSI_SEQUENCES_KEYS["\x1b[A"]] == ["up"]  # the shape ExtraKey copies


def test_textual_footer_key_and_readiness_have_the_shape_used():
    import inspect

    from textual.widgets import Footer

    assert list(inspect.signature(compat.footer_key().__init__).parameters)[1:7] == ["key", "key_display", "description", "action", "disabled", "tooltip"]
    assert compat.footer_bindings_ready(Footer()) is False


def test_an_added_sequence_reaches_textual_parser_and_a_known_one_is_left_alone():
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
    from textual._xterm_parser import XTermParser

    compat.add_key_sequence("\x1b\r", compat.ExtraKey.ALT_ENTER)
    compat.add_key_sequence("\x1b[A", compat.ExtraKey.ALT_ENTER)
    assert [key.value for key in ANSI_SEQUENCES_KEYS["\x1b[A"]] == ["up"]
    parser = XTermParser()
    keys = [getattr(event, "key", None) for event in [*parser.feed("\x1b\r"), *parser.feed("")]]
    assert keys == ["alt+enter"]


def test_textarea_handles_keys_in_a_private_handler_that_a_public_on_key_runs_before():
    # PromptInput.on_key relies on it: Textual calls on_key of the subclass, then TextArea._on_key
    # unless the event's default was prevented. The day TextArea takes keys elsewhere, this fails.
    assert "_on_key" in TextArea.__dict__ and inspect.iscoroutinefunction(TextArea._on_key)
    assert "on_key" not in TextArea.__dict__


def test_rich_table_sizes_its_columns_in_private_methods():
    table = Table(pad_edge=False, collapse_padding=True)
    table.add_column("name")
    table.add_column("value")
    table.add_row("a" * 30, "b" * 30)
    console = Console(width=40, file=None)
    assert parameters(Table._calculate_column_widths) == ["self", "console", "options"]
    assert parameters(Table._get_padding_width) == ["self", "column_index"]
    assert isinstance(table._extra_width, int)
    widths = compat.table_column_widths(table, console, console.options)
    assert len(widths) == 2 and sum(widths) + table._extra_width == 40
    assert compat.table_padding_width(table, 0) >= 0


def test_rich_markdown_elements_and_parsed_tokens_have_the_shape_used():
    assert isinstance(Markdown.elements, dict)
    assert Markdown.elements["table_open"] is TableElement
    assert Markdown.elements["fence"] is CodeBlock and Markdown.elements["code_block"] is CodeBlock
    assert parameters(CodeBlock.create) == ["markdown", "token"]
    elements = compat.markdown_elements(fence=Table)
    assert elements["fence"] is Table and elements["table_open"] is TableElement
    markdown = Markdown("")
    assert isinstance(markdown.parsed, list)  # Rich renders from this attribute


def test_rich_markdown_tables_and_code_blocks_expose_their_parts():
    seen = {}

    class Table_(TableElement):
        def __rich_console__(self, console, options):
            seen["table"] = compat.table_element_cells(self)
            yield from super().__rich_console__(console, options)

    class Code(CodeBlock):
        def __rich_console__(self, console, options):
            seen["code"] = compat.code_block_parts(self)
            yield from super().__rich_console__(console, options)

    class Probe(Markdown):
        elements = compat.markdown_elements(table_open=Table_, fence=Code)

    source = "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint(1)\n```\n"
    markdown = Probe("")
    compat.set_markdown_tokens(markdown, MarkdownIt("commonmark").enable("table").parse(source))
    Console(width=40, file=None).render_lines(markdown)
    header, rows = seen["table"]
    assert [cell.plain for cell in header] == ["a", "b"] and all(isinstance(cell, Text) for cell in header)
    assert [[cell.plain for cell in row] for row in rows] == [["1", "2"]]
    assert seen["code"] == ("print(1)\n", "python", "monokai")


def test_textual_drivers_create_their_input_parser_from_a_module_name_rtchat_can_set():
    from textual._xterm_parser import XTermParser
    from textual.drivers import linux_driver, linux_inline_driver

    assert compat.xterm_parser() is XTermParser and callable(XTermParser().feed)
    before = linux_driver.XTermParser, linux_inline_driver.XTermParser
    try:
        compat.use_input_parser(dict)
        assert linux_driver.XTermParser is dict and linux_inline_driver.XTermParser is dict
    finally:
        linux_driver.XTermParser, linux_inline_driver.XTermParser = before


async def test_textual_serve_app_service_keeps_its_process_where_rtchat_web_reads_it():
    import asyncio

    from textual_serve.app_service import AppService
    from textual_serve.download_manager import DownloadManager

    async def ignore(*_args) -> None:
        return None

    service = AppService("sleep 0.2; exit 3", write_bytes=ignore, write_str=ignore, close=ignore, download_manager=DownloadManager())
    assert compat.app_service_process(service) is None  # before it starts
    await service.start(80, 24)
    process = compat.app_service_process(service)
    assert isinstance(process, asyncio.subprocess.Process)
    assert await asyncio.wait_for(process.wait(), 30) == 3
    await service.stop()


def test_textual_serve_ships_the_client_rtchat_web_page_loads_and_its_hooks():
    # rtchat/web/page.py names these files and relies on textual.js's classes and data attribute.
    from textual_serve.server import Server

    from rtchat.web.page import render_page

    statics = Server("true").statics_path
    page = render_page("ws://127.0.0.1:1/ws")
    for name in ("js/textual.js", "css/xterm.css", "fonts/RobotoMono-VariableFont_wght.ttf", "fonts/RobotoMono-Italic-VariableFont_wght.ttf"):
        assert (statics / name).is_file(), name
        assert f"/static/{name}" in page
    client = (statics / "js/textual.js").read_text()
    for hook in ("dataset.sessionWebsocketUrl", '"-connected"', '"-closed"', "xterm-helper-textarea", "this.websocket_url="):
        assert hook in client, hook
